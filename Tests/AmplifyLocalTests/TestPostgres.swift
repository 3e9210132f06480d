import AmplifyStore
import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL server tests may use (`AMPLIFY_LOCAL_TEST_POSTGRES`, a URL of a database whose user may
/// create databases), and a database of its own for each test.
enum TestPostgres {
    static var server: PostgresLocation? {
        guard let url = ProcessInfo.processInfo.environment["AMPLIFY_LOCAL_TEST_POSTGRES"], !url.isEmpty else { return nil }
        return try? PostgresLocation(url: url)
    }

    static let logger = Logger(label: "test.postgres")

    /// Runs `body` with a new, empty database on the server, dropped afterwards.
    static func withDatabase(_ body: (PostgresLocation) async throws -> Void) async throws {
        guard let server else { throw CocoaError(.featureUnsupported) }
        var location = server
        location.database = "amplify_test_\(UUID().uuidString.prefix(8).lowercased())"
        try await self.admin(server, "CREATE DATABASE \(location.database)")
        do {
            try await body(location)
        } catch {
            try? await self.admin(server, "DROP DATABASE \(location.database) WITH (FORCE)")
            throw error
        }
        try await self.admin(server, "DROP DATABASE \(location.database) WITH (FORCE)")
    }

    /// Runs `body` with a store on the database, its connection pool running meanwhile.
    static func withStore(_ location: PostgresLocation, _ body: (PostgresStore) async throws -> Void) async throws {
        let store = try await PostgresStore(location: location, logger: self.logger)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await store.run() }
            defer { group.cancelAll() }
            try await body(store)
        }
    }

    private static func admin(_ server: PostgresLocation, _ sql: String) async throws {
        let connection = try await PostgresConnection.connect(configuration: server.testConnectionConfiguration, id: 1, logger: self.logger)
        do {
            _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: self.logger).collect()
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}

extension PostgresLocation {
    /// A plain connection's configuration (the tests' server runs on loopback without TLS).
    var testConnectionConfiguration: PostgresConnection.Configuration {
        PostgresConnection.Configuration(host: self.host, port: self.port, username: self.username, password: self.password, database: self.database, tls: .disable)
    }
}
