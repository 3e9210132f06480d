/// The codes of what the server's front door refuses before any operation reads a request.
extension AmplifyError.Code {
    /// 403: a request the server will not take from where it came (another site's page, a name not the server's). The
    /// code AWS answers a request refused by policy rather than by its signature; the SDKs do not retry it.
    public static let accessDenied = AmplifyError.Code("AccessDeniedException")
    /// 413: a body over the most an endpoint reads (6 MiB for API operations, as AWS Lambda's `RequestTooLargeException`
    /// for the same 6 MiB payload limit).
    public static let requestTooLarge = AmplifyError.Code("RequestTooLargeException")
    /// 408: a connection whose request head did not come whole within `--header-timeout`.
    public static let requestTimeout = AmplifyError.Code("RequestTimeoutException")
    /// 503: a connection past `--max-connections` (the SDKs retry it).
    public static let serviceUnavailable = AmplifyError.Code("ServiceUnavailableException")
}
