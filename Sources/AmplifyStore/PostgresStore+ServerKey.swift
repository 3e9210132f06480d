import AmplifyCore
import Foundation
import PostgresNIO

/// The server key: one row, kept by the first node that proposes one (nodes starting at once race on the insert; the
/// row's lock makes the others wait, and they read the winner's).
extension PostgresStore {
    public func serverKey(proposed: [UInt8]) async throws -> [UInt8] {
        try await self.write { connection in
            try await connection.run("INSERT INTO server_key (name, value) VALUES ('server', \(Data(proposed))) ON CONFLICT (name) DO NOTHING")
            let row = try await connection.row("SELECT value FROM server_key WHERE name = 'server'")
            return Array(try row?.decode(Data.self) ?? Data(proposed))
        }
    }
}
