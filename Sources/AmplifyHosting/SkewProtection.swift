import AmplifyCore
import Foundation
import HTTPTypes
import Hummingbird

/// Which deployment of a skew-protected branch serves a request (`Branch+SkewProtection`): the one named by the
/// `X-Amplify-Dpl` header, else the `dpl` query parameter, else the `_dpl` cookie — the cookie except on a page
/// navigation, which loads the live deployment and pins the browser to it with a new cookie.
struct SkewProtection {
    /// The kept deployment's job that serves the request, nil for the live one.
    let servedJobId: Int?
    /// The `_dpl` cookie the request carried.
    private let cookie: String?
    private let enabled: Bool

    static let header = HTTPField.Name("X-Amplify-Dpl")!
    static let cookieName = "_dpl"

    init(request: Request, branch: Branch) {
        self.enabled = branch.enableSkewProtection
        guard branch.enableSkewProtection else {
            (self.servedJobId, self.cookie) = (nil, nil)
            return
        }
        let cookie = RequestCookies.of(request)[Self.cookieName]?.removingPercentEncoding
        self.cookie = cookie
        let named = request.headers[Self.header] ?? request.uri.queryParameters["dpl"].map(String.init) ?? (Self.isNavigation(request) ? nil : cookie)
        self.servedJobId = named.flatMap { branch.skewProtectedJob(named: $0) }
    }

    /// A page load in a browser (`Sec-Fetch-Mode: navigate`; without Fetch Metadata, a GET that accepts HTML).
    private static func isNavigation(_ request: Request) -> Bool {
        if let mode = request.headers[HTTPField.Name("Sec-Fetch-Mode")!] { return mode == "navigate" }
        return request.method == .get && (request.headers[.accept]?.contains("text/html") ?? false)
    }

    /// The `Set-Cookie` value that pins the client to the live deployment it was served, when it is not pinned to it.
    func cookie(serving key: JobKey) -> String? {
        guard self.enabled, self.servedJobId == nil, self.cookie != key.deploymentId else { return nil }
        let value = key.deploymentId.addingPercentEncoding(withAllowedCharacters: Self.cookieCharacters) ?? key.deploymentId
        return "\(Self.cookieName)=\(value); Path=/; SameSite=Lax"
    }

    private static let cookieCharacters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/")
}
