import AmplifyCore
import Foundation
import GRDB

/// Tags of apps and branches live in their documents; tags of jobs in the job row.
extension SQLiteStore {
    public func tags(_ scope: Scope, of resource: TaggedResource) async throws -> [String: String] {
        try await self.database.read { db in try Self.tags(db, scope, resource).tags }
    }

    public func updateTags(
        _ scope: Scope, of resource: TaggedResource, _ update: @Sendable (inout [String: String]) throws -> Void
    ) async throws -> [String: String] {
        try await self.write { db in
            switch resource {
            case .app(let appId):
                var (seq, app) = try Self.appRow(db, scope, appId)
                try update(&app.tags)
                try Self.save(db, app, seq: seq)
                return app.tags
            case .branch(let appId, let branchName):
                var (seq, branch) = try Self.branchRow(db, scope, appId, branchName)
                try update(&branch.tags)
                try Self.save(db, branch, seq: seq)
                return branch.tags
            case .job:
                var (seq, tags) = try Self.tags(db, scope, resource)
                try update(&tags)
                try db.cachedExecute(sql: "UPDATE job SET tags = ? WHERE seq = ?", arguments: [try Documents.encode(tags), seq])
                return tags
            }
        }
    }

    private static func tags(_ db: Database, _ scope: Scope, _ resource: TaggedResource) throws -> (seq: Int64, tags: [String: String]) {
        switch resource {
        case .app(let appId):
            let (seq, app) = try appRow(db, scope, appId)
            return (seq, app.tags)
        case .branch(let appId, let branchName):
            let (seq, branch) = try branchRow(db, scope, appId, branchName)
            return (seq, branch.tags)
        case .job(let key):
            let seq = try jobRow(db, key).seq
            let stored = try db.cachedValue(Data.self, sql: "SELECT tags FROM job WHERE seq = ?", arguments: [seq])
            return (seq, try stored.map { try Documents.decode([String: String].self, from: $0) } ?? [:])
        }
    }
}
