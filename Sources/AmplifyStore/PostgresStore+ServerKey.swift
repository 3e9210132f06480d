import AmplifyCore
import Foundation
import PostgresNIO

/// The server key: one row, kept by the first node that proposes one (nodes starting at once race on the insert; the
/// key's row makes the others wait, and they read the winner's). Asked at start, before the pool runs: on a connection
/// of its own.
extension PostgresStore {
    public func serverKey(proposed: [UInt8]) async throws -> [UInt8] {
        var key = proposed
        try await Self.transaction(self.location, logger: self.logger) { connection in
            try await connection.run("INSERT INTO server_key (name, value) VALUES ('server', \(Data(proposed))) ON CONFLICT (name) DO NOTHING")
            if let stored = try await connection.row("SELECT value FROM server_key WHERE name = 'server'")?.decode(Data.self) { key = Array(stored) }
        }
        return key
    }
}
