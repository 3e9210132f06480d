import AmplifyCore
import AmplifyHosting
import AmplifyWire
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The web console at `/_amplify-local/console/` (and `GET /` from a browser, redirected there): pages rendered on
/// the server (`ConsoleTemplates`) for apps, an app, a branch and a job, with a little script (`ConsoleAssets`) for
/// what is live. Every read and every action is an operation of the API, run through the same dispatch as an SDK's
/// request (`AmplifyAPI.respond`): the same validation, rules and error messages, in the visitor's account and
/// region (`ConsoleSessions` says whose).
struct ConsoleRoutes {
    let api: AmplifyAPI
    let signer: URLSigner
    let clock: ServiceClock
    let auth: AuthMode
    let credentials: [String: SigV4Verifier.Credential]
    let sessions: ConsoleSessions
    let files: SiteFiles

    static let root = "/_amplify-local/console"
    static let accountCookie = "amplify-local-console-account"
    static let regionCookie = "amplify-local-console-region"

    /// Who asks, in which account and region, and the CSRF token their forms carry.
    struct Visitor {
        var scope: Scope
        var session: String?
        var csrf: String
        /// The open console (`--auth off|soft`): the account is chosen on the page.
        var open: Bool
    }

    /// A page's answer, or where to go next.
    enum Outcome {
        case page(title: String, template: String, view: [String: Any], crumbs: [(String, String)])
        /// To `location`, setting `cookies` (`name=value`) for the console.
        case redirect(String, cookies: [String] = [])
    }

    func add(to router: Router<AmplifyRequestContext>) {
        let group = router.group(RouterPath(stringLiteral: String(Self.root.dropFirst())))
        group.get("console.js") { _, _ in Self.asset(ConsoleAssets.js, "text/javascript; charset=utf-8") }
        group.get("console.css") { _, _ in Self.asset(ConsoleAssets.css, "text/css; charset=utf-8") }
        group.get("signin") { request, context in
            self.html(request, context, visitor: nil, .page(title: "Sign in", template: "signin", view: [:], crumbs: []))
        }
        group.post("signin") { request, context in try await self.signIn(request, context) }
        group.post("signout") { request, context in
            try await self.action(request, context) { _, _, _, _ in
                self.sessions.close(RequestCookies.of(request)[ConsoleSessions.cookie])
                return .redirect("\(Self.root)/signin")
            }
        }
        group.post("scope") { request, context in try await self.switchScope(request, context) }
        group.get("/") { request, context in try await self.page(request, context, self.appsPage) }
        group.post("apps") { request, context in try await self.action(request, context, self.createApp) }
        group.get("apps/:appId") { request, context in try await self.page(request, context, self.appPage) }
        group.post("apps/:appId") { request, context in try await self.action(request, context, self.updateApp) }
        group.get("apps/:appId/explain") { request, context in try await self.page(request, context, self.appPage) }
        group.get("apps/:appId/delete") { request, context in try await self.page(request, context, self.confirmDeleteApp) }
        group.post("apps/:appId/delete") { request, context in try await self.action(request, context, self.deleteApp) }
        group.post("apps/:appId/branches") { request, context in try await self.action(request, context, self.createBranch) }
        group.post("apps/:appId/webhooks") { request, context in try await self.action(request, context, self.createWebhook) }
        group.post("apps/:appId/domains") { request, context in try await self.action(request, context, self.createDomain) }
        group.post("apps/:appId/backends") { request, context in try await self.action(request, context, self.createBackend) }
        for (kind, label) in [("webhooks", "webhookId"), ("domains", "domainName"), ("backends", "environmentName")] {
            group.post(RouterPath(stringLiteral: "apps/:appId/\(kind)/:\(label)/delete")) { request, context in
                try await self.action(request, context) { visitor, _, request, context in
                    try await self.deleteAppPart(kind, label, visitor, request, context)
                }
            }
        }
        group.get("apps/:appId/branches/:branch") { request, context in try await self.page(request, context, self.branchPage) }
        group.get("apps/:appId/branches/:branch/delete") { request, context in try await self.page(request, context, self.confirmDeleteBranch) }
        group.post("apps/:appId/branches/:branch/delete") { request, context in try await self.action(request, context, self.deleteBranch) }
        group.post("apps/:appId/branches/:branch/jobs") { request, context in try await self.action(request, context, self.startJob) }
        group.post("apps/:appId/branches/:branch/deploy") { request, context in try await self.deploy(request, context) }
        group.get("apps/:appId/branches/:branch/jobs/:jobId") { request, context in try await self.page(request, context, self.jobPage) }
        group.get("apps/:appId/branches/:branch/jobs/:jobId/progress") { request, context in try await self.jobProgress(request, context) }
        group.get("apps/:appId/branches/:branch/jobs/:jobId/log/:step") { request, context in try await self.logTail(request, context) }
        for verb in ["stop", "retry", "delete"] {
            group.post(RouterPath(stringLiteral: "apps/:appId/branches/:branch/jobs/:jobId/\(verb)")) { request, context in
                try await self.action(request, context) { visitor, _, request, context in try await self.jobAction(verb, visitor, request, context) }
            }
        }
    }

    // MARK: Who asks

    func visitor(_ request: Request) -> Visitor? {
        let cookies = RequestCookies.of(request)
        let region = cookies[Self.regionCookie].flatMap { Self.validRegion($0) ? $0 : nil } ?? Scope.defaultRegion
        guard self.auth == .strict else {
            let account = cookies[Self.accountCookie].flatMap { Self.validAccount($0) ? $0 : nil } ?? Scope.defaultAccount
            return Visitor(scope: Scope(account: account, region: region), session: nil, csrf: self.sessions.csrf(for: nil), open: true)
        }
        guard let token = cookies[ConsoleSessions.cookie], let session = self.sessions.session(token, now: self.clock.now()) else { return nil }
        return Visitor(scope: Scope(account: session.account, region: region), session: token, csrf: self.sessions.csrf(for: token), open: false)
    }

    private func signIn(_ request: Request, _ context: AmplifyRequestContext) async throws -> Response {
        var request = request
        let form = try await Self.form(&request, context)
        guard self.sessions.checkCSRF(form["csrf"], for: nil) else { return Self.forbidden("The form's CSRF token is missing or wrong: reload the page.") }
        let accessKeyId = form["accessKeyId"] ?? ""
        guard self.auth == .strict else { return Self.redirect("\(Self.root)/") }
        guard let credential = self.credentials[accessKeyId], ConstantTime.equal(credential.secret, form["secret"] ?? "") else {
            return self.html(
                request, context, visitor: nil,
                .page(title: "Sign in", template: "signin", view: ["error": "The access key id or secret is wrong."], crumbs: []),
                status: .unauthorized
            )
        }
        let account = credential.account ?? Scope(accessKeyId: accessKeyId, region: nil).account
        let token = self.sessions.open(accessKeyId: accessKeyId, account: account, now: self.clock.now())
        var response = Self.redirect("\(Self.root)/")
        response.headers.append(
            HTTPField(name: .setCookie, value: "\(ConsoleSessions.cookie)=\(token); Path=\(Self.root); HttpOnly; SameSite=Strict")
        )
        return response
    }

    private func switchScope(_ request: Request, _ context: AmplifyRequestContext) async throws -> Response {
        try await self.action(request, context) { visitor, form, _, _ in
            let region = form["region"] ?? ""
            guard Self.validRegion(region) else { throw AmplifyError.badRequest("Region \(region) is not a region name (like us-east-1).") }
            var cookies = ["\(Self.regionCookie)=\(region)"]
            if visitor.open {
                let account = form["account"] ?? ""
                guard Self.validAccount(account) else { throw AmplifyError.badRequest("Account \(account) is not a 12-digit account id.") }
                cookies.append("\(Self.accountCookie)=\(account)")
            }
            return .redirect(Self.localPath(form["back"]), cookies: cookies)
        }
    }

    static func validAccount(_ account: String) -> Bool { account.count == 12 && account.allSatisfy { $0.isASCII && $0.isNumber } }
    static func validRegion(_ region: String) -> Bool {
        (1...32).contains(region.count) && region.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
    }

    // MARK: Answers

    /// A page for a visitor (signed in under `--auth strict`, else sent to sign in).
    func page(
        _ request: Request, _ context: AmplifyRequestContext, _ build: (Visitor, Request, AmplifyRequestContext) async throws -> Outcome
    ) async throws -> Response {
        guard let visitor = self.visitor(request) else { return Self.redirect("\(Self.root)/signin") }
        do {
            return self.html(request, context, visitor: visitor, try await build(visitor, request, context))
        } catch {
            let (status, message) = self.message(error, context)
            return self.html(
                request, context, visitor: visitor, .page(title: "Error", template: "error", view: ["message": message], crumbs: []),
                status: status
            )
        }
    }

    /// A form's action: checked against CSRF, run, then back to a page (with the API's message when it failed).
    func action(
        _ request: Request, _ context: AmplifyRequestContext, _ run: (Visitor, [String: String], Request, AmplifyRequestContext) async throws -> Outcome
    ) async throws -> Response {
        guard let visitor = self.visitor(request) else { return Self.forbidden("Sign in first.") }
        var request = request
        let form = try await Self.form(&request, context)
        guard self.sessions.checkCSRF(form["csrf"] ?? request.headers[Self.csrfHeader], for: visitor.session) else {
            return Self.forbidden("The form's CSRF token is missing or wrong: reload the page.")
        }
        let back = Self.localPath(request.headers[.referer].flatMap { URL(string: $0)?.path } ?? "\(Self.root)/")
        do {
            switch try await run(visitor, form, request, context) {
            case .redirect(let location, let cookies):
                var response = Self.redirect(location)
                for cookie in cookies {
                    response.headers.append(HTTPField(name: .setCookie, value: "\(cookie); Path=\(Self.root); SameSite=Strict"))
                }
                return response
            case .page:
                return Self.redirect(back)
            }
        } catch {
            return Self.redirect(back + "?error=" + Self.queryValue(self.message(error, context).text))
        }
    }

    func html(_ request: Request, _ context: AmplifyRequestContext, visitor: Visitor?, _ outcome: Outcome, status: HTTPResponse.Status = .ok) -> Response {
        guard case .page(let title, let template, var view, let crumbs) = outcome else {
            if case .redirect(let location, _) = outcome { return Self.redirect(location) }
            return Self.redirect("\(Self.root)/")
        }
        let query = request.uri.queryParameters
        view["root"] = Self.root
        view["csrf"] = visitor?.csrf ?? self.sessions.csrf(for: nil)
        var frame: [String: Any] = [
            "title": title, "root": Self.root, "path": request.uri.path,
            "crumbs": crumbs.map { ["label": $0.0, "href": $0.1] },
            "live": view["live"] ?? false,
        ]
        if let visitor {
            frame["visitor"] = ["csrf": visitor.csrf, "account": visitor.scope.account, "region": visitor.scope.region, "open": visitor.open, "path": request.uri.path]
            view["account"] = visitor.scope.account
            view["region"] = visitor.scope.region
        }
        frame["error"] = view["error"] ?? query["error"].map(String.init)
        frame["notice"] = query["notice"].map(String.init)
        frame["body"] = ConsoleTemplates.render(view, template)
        let page = ConsoleTemplates.render(frame, "layout")
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: page))
        )
    }

    /// The API's operation `operation` for the visitor, as an SDK would call it: its JSON output.
    func call(
        _ operation: WireOperation, _ visitor: Visitor, _ request: Request, _ context: AmplifyRequestContext, labels: [String: String] = [:],
        query: [String: [String]] = [:], body: [String: Any]? = nil
    ) async throws -> [String: Any] {
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) } ?? Data()
        let call = APICall(
            scope: visitor.scope, baseURL: AmplifyAPIMiddleware.baseURL(of: request) ?? "http://localhost", signer: self.signer, now: self.clock.now(), operation: operation,
            requestId: context.requestId, requestLogger: context.logger
        )
        let wireRequest = WireRequest(labels: labels, query: query, body: data)
        try wireRequest.requireNoNUL()
        let output = try await self.api.respond(to: operation, wireRequest, call)
        return (try JSONSerialization.jsonObject(with: Data(output)) as? [String: Any]) ?? [:]
    }

    /// What the API would answer for `error`: its status, and `Exception: message`.
    func message(_ error: any Error, _ context: AmplifyRequestContext) -> (status: HTTPResponse.Status, text: String) {
        let answer = AWSError(error, logger: context.logger, requestId: context.requestId)
        return (answer.status, "\(answer.error.code.rawValue): \(answer.error.message)")
    }

    // MARK: Helpers

    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!
    /// The largest form a page posts (its fields are a few lines of text).
    static let maxFormBytes = 1 << 20

    /// A form's fields (`application/x-www-form-urlencoded`, up to `maxFormBytes`); empty for other bodies.
    static func form(_ request: inout Request, _ context: AmplifyRequestContext) async throws -> [String: String] {
        guard request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") ?? false else { return [:] }
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: Self.maxFormBytes)
        } catch is NIOTooManyBytesError {
            throw AWSError.bodyTooLarge(limit: Self.maxFormBytes)
        }
        let text = String(buffer: body).replacingOccurrences(of: "+", with: "%20")
        guard let fields = WireRequest.parseQuery(text[...]) else { throw AmplifyError.badRequest("The form is not valid percent-encoded text.") }
        return fields.compactMapValues(\.last)
    }

    /// A path of the console to go back to (nothing that leaves it).
    static func localPath(_ path: String?) -> String {
        guard let path, path.hasPrefix(Self.root), !path.contains("//"), !path.contains("\\") else { return "\(Self.root)/" }
        return path
    }

    static func queryValue(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }

    /// A path segment for `name` (branch names may hold `/`).
    static func segment(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? name
    }

    static func parameter(_ context: AmplifyRequestContext, _ name: String) throws -> String {
        guard let value = context.parameters.get(name) else { throw AmplifyError.badRequest("\(name) is missing from the path.") }
        return value.removingPercentEncoding ?? value
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .contentLength: "0"])
    }

    static func forbidden(_ message: String) -> Response {
        Response(
            status: .forbidden, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: message + "\n"))
        )
    }

    static func asset(_ text: String, _ type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "max-age=300"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
