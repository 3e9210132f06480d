import AmplifyCore
import Foundation
import GRDB

/// Build secrets: sealed values under their app, which go with it.
extension SQLiteStore {
    public func putSecret(_ secret: BuildSecret, sealed: [UInt8]) async throws {
        try await self.write { db in
            let appSeq = try Self.appSeq(db, secret.scope, secret.appId)
            try db.cachedExecute(
                sql: """
                    INSERT INTO build_secret (appSeq, branchName, name, sealed, updatedAt) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (appSeq, branchName, name) DO UPDATE SET sealed = excluded.sealed, updatedAt = excluded.updatedAt
                    """,
                arguments: [appSeq, secret.branchName ?? "", secret.name, Data(sealed), secret.updatedAt.timeIntervalSince1970]
            )
        }
    }

    public func deleteSecret(_ scope: Scope, appId: String, branchName: String?, name: String) async throws {
        try await self.write { db in
            let appSeq = try Self.appSeq(db, scope, appId)
            let secret = BuildSecret(scope: scope, appId: appId, branchName: branchName, name: name, updatedAt: .distantPast)
            guard try Self.delete(db, secret, appSeq: appSeq) else { throw AmplifyError.secretNotFound(name) }
        }
    }

    public func secrets(_ scope: Scope, appId: String) async throws -> [(secret: BuildSecret, sealed: [UInt8])] {
        try await self.database.read { db in
            try Self.secrets(db, scope, appId, appSeq: try Self.appSeq(db, scope, appId))
        }
    }

    /// The app's secrets with their sealed values, the app's first (branch "" in the table), each by name.
    static func secrets(_ db: Database, _ scope: Scope, _ appId: String, appSeq: Int64) throws -> [(secret: BuildSecret, sealed: [UInt8])] {
        try db.cachedRows(
            sql: "SELECT branchName, name, sealed, updatedAt FROM build_secret WHERE appSeq = ? ORDER BY branchName, name", arguments: [appSeq]
        ).map { row in
            let branch: String = row[0]
            let sealed: Data = row[2]
            return (
                BuildSecret(scope: scope, appId: appId, branchName: branch.isEmpty ? nil : branch, name: row[1], updatedAt: Date(timeIntervalSince1970: row[3])),
                Array(sealed)
            )
        }
    }

    /// Deletes one secret of the app's row `appSeq`; false when there was none.
    static func delete(_ db: Database, _ secret: BuildSecret, appSeq: Int64) throws -> Bool {
        try db.cachedExecute(
            sql: "DELETE FROM build_secret WHERE appSeq = ? AND branchName = ? AND name = ?", arguments: [appSeq, secret.branchName ?? "", secret.name]
        )
        return db.changesCount > 0
    }
}
