import AmplifyCore
import AmplifyStore
import Foundation

/// Build secrets of a stopped server, set and read in its data directory (`amplify-local secrets … --data-dir`): the
/// same rules, sealing and store as the server's admin endpoint, with the directory locked as a server locks it.
public struct DataDirectorySecrets: Sendable {
    private let store: SQLiteStore
    private let box: SecretBox

    public init(dataDirectory directory: String) throws {
        let path = (directory as NSString).appendingPathComponent("amplify-local.sqlite")
        guard FileManager.default.fileExists(atPath: path) else {
            throw AmplifyError.badRequest(
                "\(directory) holds no amplify-local.sqlite: it is not the data directory of a server on SQLite (a server on PostgreSQL keeps its state there: use --endpoint)."
            )
        }
        try DataDirectoryLock.acquire(directory)
        self.store = try SQLiteStore(path: path)
        self.box = try SecretBox(dataDirectory: directory)
    }

    public func set(_ scope: Scope, appId: String, branchName: String?, name: String, value: [UInt8], now: Date = Date()) async throws -> BuildSecret {
        try BuildSecret.requireValidName(name)
        if let branchName { try BuildSecret.requireValidBranchName(branchName) }
        try BuildSecret.requireValidValue(value)
        let secret = BuildSecret(scope: scope, appId: appId, branchName: branchName, name: name, updatedAt: now)
        try await self.store.putSecret(secret, sealed: try self.box.seal(value, for: secret))
        return secret
    }

    public func delete(_ scope: Scope, appId: String, branchName: String?, name: String) async throws {
        try await self.store.deleteSecret(scope, appId: appId, branchName: branchName, name: name)
    }

    /// The app's secrets, or with `branchName` those its builds get.
    /// As the admin endpoint answers it.
    public static func describe(_ secret: BuildSecret) -> [String: Any] {
        AdminRoutes.describe(secret)
    }

    public func list(_ scope: Scope, appId: String, branchName: String?) async throws -> [BuildSecret] {
        BuildSecret.listed(try await self.store.secrets(scope, appId: appId).map(\.secret), branchName: branchName)
    }
}
