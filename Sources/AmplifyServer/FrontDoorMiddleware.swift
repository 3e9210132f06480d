import AmplifyCore
import HTTPTypes
import Hummingbird
import Logging

/// Keeps web pages of other sites away from the API, `/_amplify-local/*` and the console (sites are served before
/// it, by `SiteMiddleware`): a request whose `Host` is not one of the server's names (DNS rebinding), whose `Origin`
/// is another site's (or that has none but says `Sec-Fetch-Site: cross-site`), or that is a JSON operation with a body
/// of another type (what a page can send without the browser asking first) is refused with 403 AccessDeniedException,
/// before anything reads it. `FrontDoorPolicy` decides which names and origins are the server's own.
///
/// Exempt, because a secret of their own authorizes them and other machines send them: the URLs the API signed
/// (logs, uploads, access logs, thumbnails, test artifacts), incoming webhooks (`/prod/webhooks`, their token) and a
/// git host's notifications (`POST /_amplify-local/git/<appId>`, its signature). The console's forms are exempt from
/// the body rule only (their CSRF token).
///
/// Every answer through it says `X-Content-Type-Options: nosniff` (a log or an error is never read as a page); the
/// console's also forbid framing and all but its own scripts and styles. A page of an origin the user allowed
/// (`--allowed-origins`) gets CORS's answers, so that it can read them and send JSON.
struct FrontDoorMiddleware: RouterMiddleware {
    typealias Context = AmplifyRequestContext

    let policy: FrontDoorPolicy

    /// What the console's pages load: their own script, style sheet and images, and `fetch` to the same origin; never
    /// inside a frame (clickjacking), no plugins, no `<base>` that would move their relative URLs.
    static let consolePolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self';"
        + " frame-ancestors 'none'; base-uri 'none'"

    /// The kinds of request, by the rules that apply to them.
    enum Door: Equatable {
        /// Authorized by a secret of its own: no rule of this middleware.
        case exempt
        /// The console: `Host` and `Origin`.
        case console
        /// Admin endpoints whose body is not JSON (a secret's value): `Host` and `Origin`.
        case admin
        /// API operations and JSON admin endpoints: `Host`, `Origin`, and a body only as JSON.
        case json
    }

    /// The largest state document `POST /_amplify-local/state` takes (as `AdminRoutes.authorize` reads it); other JSON
    /// bodies are at most `AmplifyRequestContext.maxUploadSize` (6 MiB).
    static let maxStateBytes = 64 << 20

    /// The paths under `/_amplify-local/` that only the URLs the API signed reach (`SignedURLMiddleware`).
    static let signedGroups: Set<Substring> = ["logs", "uploads", "access-logs", "thumbnails", "test-artifacts"]

    static func door(method: HTTPRequest.Method, path: String) -> Door {
        guard path.hasPrefix(AdminPath.prefix) else {
            return path == AmplifyAPIMiddleware.incomingWebhookPath && method == .post ? .exempt : .json
        }
        let rest = path.dropFirst(AdminPath.prefix.count)
        let group = rest.prefix { $0 != "/" }
        if Self.signedGroups.contains(group) && rest.count > group.count { return .exempt }
        if group == "git" && method == .post { return .exempt }
        if group == "console" { return .console }
        if group == "secrets" { return .admin }
        return .json
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        let door = path == ConsoleRoutes.root ? .console : Self.door(method: request.method, path: path)
        let origin = request.headers[.origin]
        let cors = origin.flatMap { door != .exempt && self.policy.isListed($0) ? $0 : nil }
        var response: Response
        do {
            if door != .exempt { try self.check(request, door: door, context: context) }
            if let cors, request.method == .options, request.headers[.accessControlRequestMethod] != nil {
                // A preflight of an allowed origin's page, answered here: no operation answers OPTIONS.
                response = Response(status: .noContent)
                self.addCORS(to: &response, origin: cors, preflight: request)
            } else {
                response = try await next(request, context)
            }
        } catch {
            // Answered here, so that refusals and errors carry the headers too.
            response = try RequestIDMiddleware.response(for: error, request, context)
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        if door == .console || path == "/" {
            response.headers[Self.frameOptions] = "DENY"
            response.headers[.contentSecurityPolicy] = Self.consolePolicy
        }
        if let cors, response.headers[.accessControlAllowOrigin] == nil { self.addCORS(to: &response, origin: cors, preflight: nil) }
        return response
    }

    /// Throws the refusal of a request the rules of its door refuse.
    private func check(_ request: Request, door: Door, context: Context) throws {
        if let refusal = self.policy.refusal(host: request.head.authority, origin: request.headers[.origin], fetchSite: request.headers[Self.secFetchSite]) {
            context.logger.notice(
                "Request refused at the front door", metadata: ["reason": "\(refusal)", "path": "\(request.uri.path)", "aws.request_id": "\(context.requestId)"]
            )
            throw AWSError(AmplifyError(.accessDenied, self.policy.message(refusal)), status: .forbidden)
        }
        // Refused before a byte is read when the length says so; a body sent in chunks ends where it is read (the same 413).
        if door == .json, let length = request.headers[.contentLength].flatMap(Int.init) {
            let limit = request.uri.path == AdminPath.prefix + "state" ? Self.maxStateBytes : context.maxUploadSize
            if length > limit { throw AWSError.bodyTooLarge(limit: limit) }
        }
        if door == .json, Self.hasBody(request), !FrontDoorPolicy.isJSONContentType(request.headers[.contentType]) {
            let given = request.headers[.contentType].map { "Content-Type \($0)" } ?? "no Content-Type"
            throw AWSError(
                AmplifyError(.accessDenied, "A request with a body must send it as Content-Type: application/json; this one has \(given)."),
                status: .forbidden
            )
        }
    }

    /// Whether the request says it has a body: a length above 0, or one sent in chunks.
    static func hasBody(_ request: Request) -> Bool {
        if let length = request.headers[.contentLength] { return length != "0" }
        return request.headers[.transferEncoding] != nil
    }

    private func addCORS(to response: inout Response, origin: String, preflight: Request?) {
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.vary] = "Origin"
        if let preflight {
            response.headers[.accessControlAllowMethods] = "GET, HEAD, POST, PUT, PATCH, DELETE"
            // The SDKs' own headers (signature, date, content hash, invocation ids) differ by SDK and version: what the
            // page asks for is what it is allowed, since the origin is one the user named.
            response.headers[.accessControlAllowHeaders] = preflight.headers[.accessControlRequestHeaders] ?? "content-type"
            response.headers[.accessControlMaxAge] = "600"
        } else {
            response.headers[.accessControlExposeHeaders] = "x-amzn-RequestId, x-amzn-ErrorType, x-amz-request-id, x-amz-id-2, Date"
        }
    }

    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
    static let frameOptions = HTTPField.Name("X-Frame-Options")!
}
