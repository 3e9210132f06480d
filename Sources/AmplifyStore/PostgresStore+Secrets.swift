import AmplifyCore
import Foundation
import PostgresNIO

/// Build secrets: sealed values under their app, which go with it.
extension PostgresStore {
    public func putSecret(_ secret: BuildSecret, sealed: [UInt8]) async throws {
        try await self.write { connection in
            let appSeq = try await Self.appSeq(connection, secret.scope, secret.appId)
            try await connection.run(
                """
                INSERT INTO build_secret (appSeq, branchName, name, sealed, updatedAt)
                VALUES (\(appSeq), \(secret.branchName ?? ""), \(secret.name), \(Data(sealed)), \(secret.updatedAt.timeIntervalSince1970))
                ON CONFLICT (appSeq, branchName, name) DO UPDATE SET sealed = excluded.sealed, updatedAt = excluded.updatedAt
                """
            )
        }
    }

    public func deleteSecret(_ scope: Scope, appId: String, branchName: String?, name: String) async throws {
        try await self.write { connection in
            let appSeq = try await Self.appSeq(connection, scope, appId)
            let secret = BuildSecret(scope: scope, appId: appId, branchName: branchName, name: name, updatedAt: .distantPast)
            guard try await Self.delete(connection, secret, appSeq: appSeq) else { throw AmplifyError.secretNotFound(name) }
        }
    }

    public func secrets(_ scope: Scope, appId: String) async throws -> [(secret: BuildSecret, sealed: [UInt8])] {
        try await self.read { connection in
            try await Self.secrets(connection, scope, appId, appSeq: try await Self.appSeq(connection, scope, appId))
        }
    }

    /// The app's secrets with their sealed values, the app's first (branch "" in the table), each by name.
    static func secrets(
        _ connection: PostgresConnection, _ scope: Scope, _ appId: String, appSeq: Int64
    ) async throws -> [(secret: BuildSecret, sealed: [UInt8])] {
        let rows = try await connection.rows(
            "SELECT branchName, name, sealed, updatedAt FROM build_secret WHERE appSeq = \(appSeq) ORDER BY branchName COLLATE \"C\", name COLLATE \"C\""
        )
        return try rows.map { row in
            let (branch, name, sealed, updatedAt) = try row.decode((String, String, Data, Double).self)
            return (
                BuildSecret(scope: scope, appId: appId, branchName: branch.isEmpty ? nil : branch, name: name, updatedAt: Date(timeIntervalSince1970: updatedAt)),
                Array(sealed)
            )
        }
    }

    /// Deletes one secret of the app's row `appSeq`; false when there was none.
    static func delete(_ connection: PostgresConnection, _ secret: BuildSecret, appSeq: Int64) async throws -> Bool {
        let deleted = try await connection.row(
            "DELETE FROM build_secret WHERE appSeq = \(appSeq) AND branchName = \(secret.branchName ?? "") AND name = \(secret.name) RETURNING name"
        )
        return deleted != nil
    }
}
