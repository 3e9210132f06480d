import AmplifyCore
import Foundation
import PostgresNIO

/// Live sites. Lookups are not cached as `SQLiteStore` caches them: another node's deployment must show
/// on this node's next request.
extension PostgresStore {
    public func publishSite(_ key: JobKey, now: Date) async throws -> Bool {
        try await self.write { connection in
            let (appSeq, app) = try await Self.appRow(connection, key.scope, key.appId, lock: true)
            let (branchSeq, branch) = try await Self.branchRow(connection, key.scope, key.appId, key.branchName, lock: true)
            guard let (_, job) = try await Self.jobRow(connection, key, lock: true) else { throw AmplifyError.jobNotFound(String(key.jobId)) }
            guard let publication = SitePublication(publishing: job, on: branch, of: app, now: now) else { return false }
            try await Self.save(connection, publication.branch, seq: branchSeq)
            if let app = publication.app { try await Self.save(connection, app, seq: appSeq) }
            return true
        }
    }

    /// Other nodes write the same database: nothing read from it can be kept on the strength of this node's writes.
    public var writeGeneration: Int? { nil }

    public func site(appId: String, displayName: String?) async throws -> (app: App, branch: Branch)? {
        // One statement: the app and its branches as of one moment, in one round trip.
        let rows = try await self.read { connection in try await connection.rows(SiteStatement(appId: appId)) }
        guard let first = rows.first else { return nil }
        let app = try Documents.decode(App.self, from: first.0)
        let branches = try rows.compactMap { row in try row.1.map { try Documents.decode(Branch.self, from: $0) } }
        return app.siteBranch(displayName: displayName, among: branches).map { (app, $0) }
    }
}
