import AmplifyCore
import Foundation
import GRDB

/// Backend environments: rows under their app, unique by name.
extension SQLiteStore {
    public func createBackendEnvironment(_ environment: BackendEnvironment) async throws {
        try await self.write { db in
            let appSeq = try Self.appSeq(db, environment.scope, environment.appId)
            let nameTaken = try db.cachedValue(
                Bool.self, sql: "SELECT 1 FROM backend_environment WHERE appSeq = ? AND environmentName = ?",
                arguments: [appSeq, environment.environmentName]
            ) ?? false
            try environment.requireCreatable(nameTaken: nameTaken)
            try Self.insertBackendEnvironment(db, environment, appSeq: appSeq)
        }
    }

    public func backendEnvironment(_ scope: Scope, appId: String, environmentName: String) async throws -> BackendEnvironment {
        try await self.database.read { db in try Self.backendEnvironmentRow(db, scope, appId, environmentName).environment }
    }

    public func listBackendEnvironments(
        _ scope: Scope, appId: String, environmentName: String?, after token: PageToken?, limit: Int
    ) async throws -> Page<BackendEnvironment> {
        try await self.database.read { db in
            let appSeq = try Self.appSeq(db, scope, appId)
            let rows = try db.cachedRows(
                sql: """
                    SELECT \(Self.environmentColumns) FROM backend_environment
                    WHERE appSeq = ? AND seq > ? AND (? IS NULL OR environmentName = ?) ORDER BY seq LIMIT ?
                    """,
                arguments: [appSeq, token?.position ?? 0, environmentName, environmentName, limit + 1]
            )
            return Page(fetched: rows.map { ($0["seq"], Self.environment($0, scope, appId)) }, limit: limit, list: .backendEnvironments)
        }
    }

    public func deleteBackendEnvironment(_ scope: Scope, appId: String, environmentName: String) async throws -> BackendEnvironment {
        try await self.write { db in
            let (seq, environment) = try Self.backendEnvironmentRow(db, scope, appId, environmentName)
            try db.cachedExecute(sql: "DELETE FROM backend_environment WHERE seq = ?", arguments: [seq])
            return environment
        }
    }

    // MARK: Rows

    static func insertBackendEnvironment(_ db: Database, _ environment: BackendEnvironment, appSeq: Int64) throws {
        try db.cachedExecute(
            sql: """
                INSERT INTO backend_environment (appSeq, environmentName, stackName, deploymentArtifacts, createTime, updateTime)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                appSeq, environment.environmentName, environment.stackName, environment.deploymentArtifacts,
                environment.createTime.timeIntervalSince1970, environment.updateTime.timeIntervalSince1970,
            ]
        )
    }

    static let environmentColumns = "environmentName, stackName, deploymentArtifacts, createTime, updateTime, seq"

    static func backendEnvironmentRow(
        _ db: Database, _ scope: Scope, _ appId: String, _ name: String
    ) throws -> (seq: Int64, environment: BackendEnvironment) {
        let appSeq = try appSeq(db, scope, appId)
        guard
            let row = try db.cachedRow(
                sql: "SELECT \(environmentColumns) FROM backend_environment WHERE appSeq = ? AND environmentName = ?",
                arguments: [appSeq, name]
            )
        else { throw AmplifyError.backendEnvironmentNotFound(name) }
        return (row["seq"], environment(row, scope, appId))
    }

    static func environment(_ row: Row, _ scope: Scope, _ appId: String) -> BackendEnvironment {
        BackendEnvironment(
            scope: scope, appId: appId, environmentName: row[0], stackName: row[1], deploymentArtifacts: row[2],
            createTime: Date(timeIntervalSince1970: row[3]), updateTime: Date(timeIntervalSince1970: row[4])
        )
    }
}
