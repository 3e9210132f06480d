import AmplifyCore
import Foundation
import GRDB

/// The server key: one row, kept by the first server that proposes one.
extension SQLiteStore {
    public func serverKey(proposed: [UInt8]) async throws -> [UInt8] {
        try await self.write { db in
            try db.execute(sql: "INSERT INTO server_key (name, value) VALUES ('server', ?) ON CONFLICT (name) DO NOTHING", arguments: [Data(proposed)])
            return Array(try Data.fetchOne(db, sql: "SELECT value FROM server_key WHERE name = 'server'") ?? Data(proposed))
        }
    }
}
