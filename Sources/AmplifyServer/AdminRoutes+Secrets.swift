import AmplifyCore
import Foundation
import Hummingbird

/// Build secrets (`SecretBox`): `PUT secrets/<appId>[/<branch>]/<name>` sets one (the body is the value),
/// `DELETE` the same path removes it, `GET secrets/<appId>` lists the app's (for the app and each branch) and
/// `GET secrets/<appId>/<branch>` those a branch's builds get. Values are never answered. Signed under `--auth`,
/// like the other admin endpoints; the account and region are the signature's (else `?account=&region=`).
extension AdminRoutes {
    func addSecretRoutes(to group: RouterGroup<AmplifyRequestContext>) {
        group.get(AdminPath.appSecretsRoute) { request, context in
            let (scope, _) = try await self.authorize(request, context)
            return try await self.listSecrets(scope, appId: try Self.parameter(context, "appId"), branchName: nil)
        }
        group.get(AdminPath.secretsSecondRoute) { request, context in
            let (scope, _) = try await self.authorize(request, context)
            return try await self.listSecrets(scope, appId: try Self.parameter(context, "appId"), branchName: try Self.parameter(context, "second"))
        }
        group.put(AdminPath.secretsSecondRoute) { request, context in
            try await self.putSecret(request, context, branchName: nil, name: try Self.parameter(context, "second"))
        }
        group.put(AdminPath.branchSecretRoute) { request, context in
            try await self.putSecret(request, context, branchName: try Self.parameter(context, "second"), name: try Self.parameter(context, "name"))
        }
        group.delete(AdminPath.secretsSecondRoute) { request, context in
            try await self.deleteSecret(request, context, branchName: nil, name: try Self.parameter(context, "second"))
        }
        group.delete(AdminPath.branchSecretRoute) { request, context in
            try await self.deleteSecret(request, context, branchName: try Self.parameter(context, "second"), name: try Self.parameter(context, "name"))
        }
    }

    private func putSecret(_ request: Request, _ context: AmplifyRequestContext, branchName: String?, name: String) async throws -> Response {
        let (scope, value) = try await self.authorize(request, context)
        let appId = try Self.parameter(context, "appId")
        try BuildSecret.requireValidName(name)
        if let branchName { try BuildSecret.requireValidBranchName(branchName) }
        try BuildSecret.requireValidValue(value)
        let secret = BuildSecret(scope: scope, appId: appId, branchName: branchName, name: name, updatedAt: self.clock.now())
        try await self.store.putSecret(secret, sealed: try self.secrets.seal(value, for: secret))
        return try Self.json(["secret": Self.describe(secret)])
    }

    private func deleteSecret(_ request: Request, _ context: AmplifyRequestContext, branchName: String?, name: String) async throws -> Response {
        let (scope, _) = try await self.authorize(request, context)
        try await self.store.deleteSecret(scope, appId: try Self.parameter(context, "appId"), branchName: branchName, name: name)
        return try Self.json(["deleted": ["name": name, "branch": branchName as Any].compactMapValues { $0 is String ? $0 : nil }])
    }

    private func listSecrets(_ scope: Scope, appId: String, branchName: String?) async throws -> Response {
        let secrets = try await self.store.secrets(scope, appId: appId).map(\.secret)
        return try Self.json(["secrets": BuildSecret.listed(secrets, branchName: branchName).map(Self.describe)])
    }

    static func describe(_ secret: BuildSecret) -> [String: Any] {
        var entry: [String: Any] = ["name": secret.name, "updatedAt": secret.updatedAt.formatted(Date.ISO8601FormatStyle())]
        if let branch = secret.branchName { entry["branch"] = branch }
        return entry
    }
}
