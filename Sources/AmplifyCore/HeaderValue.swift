/// What a custom header's value may hold to be served. AWS accepts any value in `customHttp.yml` and `customHeaders`
/// and deploys it; CloudFront then answers 502 ("The header contains invalid characters") for the paths whose headers
/// have one it cannot send, as amplify-local does.
public enum HeaderValue {
    /// Whether a response can carry `value`: not with a line break or another control character but a tab (a folded
    /// `>` YAML value ends with a line break).
    public static func isServable(_ value: String) -> Bool {
        !value.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F }
    }
}
