import AmplifyCore
import AmplifyGit
import AmplifyObjects
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A git host's notifications: `GET git/<appId>` answers the URL and secret to give the host's webhook settings;
/// `POST git/<appId>` takes its `push` and `pull_request` events, signed with that secret (`X-Hub-Signature-256`).
extension AdminRoutes {
    func addGitRoutes(to group: RouterGroup<AmplifyRequestContext>) {
        group.get(AdminPath.gitRoute) { request, context in
            let (scope, _) = try await self.authorize(request, context)
            let appId = try Self.parameter(context, "appId")
            _ = try await self.store.app(scope, appId: appId)
            let base = request.head.authority.map { "http://\($0)" } ?? "http://\(self.configuration.host):\(self.configuration.port)"
            return try Self.json(["url": base + AdminPath.git(scope, appId: appId), "secret": self.gitSecret(scope, appId: appId)])
        }
        group.post(AdminPath.gitRoute) { request, context in
            try await self.gitEvent(request, context)
        }
    }

    /// The secret of an app's notifications: derived from the server's signing key, so every node that shares the
    /// data directory knows it and none needs to store it.
    func gitSecret(_ scope: Scope, appId: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data("git-webhook/\(scope.account)/\(scope.region)/\(appId)".utf8), using: self.signer.key)
        return Hex.lowercase(code)
    }

    private func gitEvent(_ request: Request, _ context: AmplifyRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let scope = Scope(
            account: query["account"].map(String.init) ?? Scope.defaultAccount, region: query["region"].map(String.init) ?? Scope.defaultRegion
        )
        let appId = try Self.parameter(context, "appId")
        let name = ["X-GitHub-Event", "X-Gitea-Event", "X-Forgejo-Event", "X-Gogs-Event"].lazy
            .compactMap { HTTPField.Name($0).flatMap { request.headers[$0] } }.first
        // Read whole but kept only up to the limit: a larger payload is ignored (as Amplify does), not refused.
        var body: [UInt8] = []
        var size = 0
        for try await buffer in request.body {
            size += buffer.readableBytes
            if size <= GitHubEvent.maxPayloadBytes { body += buffer.readableBytesView }
        }
        guard size <= GitHubEvent.maxPayloadBytes else {
            return try Self.json(["result": "ignored: the payload is over 256 KB, as Amplify ignores it"])
        }
        let signature = HTTPField.Name("X-Hub-Signature-256").flatMap { request.headers[$0] } ?? ""
        let expected = "sha256=" + Hex.lowercase(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(self.gitSecret(scope, appId: appId).utf8))))
        guard ConstantTime.equal(signature.lowercased(), expected) else {
            throw AmplifyError.unauthorized("X-Hub-Signature-256 is missing or does not match the app's secret (GET /_amplify-local/git/\(appId) gives it).")
        }
        guard let name else { throw AmplifyError.badRequest("X-GitHub-Event (or X-Gitea-Event) names no event.") }
        let app = try await self.store.app(scope, appId: appId)
        let event: GitHubEvent
        do {
            event = try GitHubEvent(name: name, payload: body, repositoryIsRemote: !RepositoryLocation.isOnThisMachine(app.repository ?? ""))
        } catch {
            throw AmplifyError.badRequest("\(error)")
        }
        let result = try await self.follower.handle(event, app: app)
        return try Self.json(["event": name, "result": result])
    }
}
