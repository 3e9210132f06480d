import AmplifyCore
import Foundation
import PostgresNIO

/// Backend environments: rows under their app, unique by name.
extension PostgresStore {
    public func createBackendEnvironment(_ environment: BackendEnvironment) async throws {
        try await self.write { connection in
            let appSeq = try await Self.appRow(connection, environment.scope, environment.appId, lock: true).seq
            let exists = try await connection.row(
                "SELECT 1 FROM backend_environment WHERE appSeq = \(appSeq) AND environmentName = \(environment.environmentName)"
            )
            try environment.requireCreatable(nameTaken: exists != nil)
            try await Self.insertBackendEnvironment(connection, environment, appSeq: appSeq)
        }
    }

    public func backendEnvironment(_ scope: Scope, appId: String, environmentName: String) async throws -> BackendEnvironment {
        try await self.read { connection in try await Self.backendEnvironmentRow(connection, scope, appId, environmentName).value }
    }

    public func listBackendEnvironments(
        _ scope: Scope, appId: String, environmentName: String?, after token: PageToken?, limit: Int
    ) async throws -> Page<BackendEnvironment> {
        try await self.read { connection in
            let appSeq = try await Self.appSeq(connection, scope, appId)
            let rows = try await connection.rows(
                """
                SELECT \(unescaped: Self.environmentColumns) FROM backend_environment
                WHERE appSeq = \(appSeq) AND seq > \(token?.position ?? 0)
                  AND (\(environmentName == nil) OR environmentName = \(environmentName ?? ""))
                ORDER BY seq LIMIT \(limit + 1)
                """
            )
            return Page(fetched: try rows.map { try Self.environment($0, scope, appId) }, limit: limit, list: .backendEnvironments)
        }
    }

    public func deleteBackendEnvironment(_ scope: Scope, appId: String, environmentName: String) async throws -> BackendEnvironment {
        try await self.write { connection in
            _ = try await Self.appRow(connection, scope, appId, lock: true)
            let (seq, environment) = try await Self.backendEnvironmentRow(connection, scope, appId, environmentName)
            try await connection.run("DELETE FROM backend_environment WHERE seq = \(seq)")
            return environment
        }
    }

    // MARK: Rows

    static func insertBackendEnvironment(_ connection: PostgresConnection, _ environment: BackendEnvironment, appSeq: Int64) async throws {
        try await connection.run(
            """
            INSERT INTO backend_environment (appSeq, environmentName, stackName, deploymentArtifacts, createTime, updateTime)
            VALUES (\(appSeq), \(environment.environmentName), \(environment.stackName), \(environment.deploymentArtifacts),
                    \(environment.createTime.timeIntervalSince1970), \(environment.updateTime.timeIntervalSince1970))
            """
        )
    }

    static let environmentColumns = "environmentName, stackName, deploymentArtifacts, createTime, updateTime, seq"

    static func backendEnvironmentRow(
        _ connection: PostgresConnection, _ scope: Scope, _ appId: String, _ name: String
    ) async throws -> (seq: Int64, value: BackendEnvironment) {
        let appSeq = try await appSeq(connection, scope, appId)
        let row = try await connection.row(
            "SELECT \(unescaped: environmentColumns) FROM backend_environment WHERE appSeq = \(appSeq) AND environmentName = \(name)"
        )
        guard let row else { throw AmplifyError.backendEnvironmentNotFound(name) }
        return try environment(row, scope, appId)
    }

    static func environment(_ row: PostgresRow, _ scope: Scope, _ appId: String) throws -> (seq: Int64, value: BackendEnvironment) {
        let (name, stackName, artifacts, createTime, updateTime, seq) = try row.decode((String, String, String, Double, Double, Int64).self)
        let environment = BackendEnvironment(
            scope: scope, appId: appId, environmentName: name, stackName: stackName, deploymentArtifacts: artifacts,
            createTime: Date(timeIntervalSince1970: createTime), updateTime: Date(timeIntervalSince1970: updateTime)
        )
        return (seq, environment)
    }
}
