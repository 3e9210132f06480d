import AmplifyCore
import Foundation
import PostgresNIO

/// Tags of apps and branches live in their documents; tags of jobs in the job row.
extension PostgresStore {
    public func tags(_ scope: Scope, of resource: TaggedResource) async throws -> [String: String] {
        try await self.read { connection in try await Self.tags(connection, scope, resource).tags }
    }

    public func updateTags(
        _ scope: Scope, of resource: TaggedResource, _ update: @Sendable (inout [String: String]) throws -> Void
    ) async throws -> [String: String] {
        try await self.write { connection in
            switch resource {
            case .app(let appId):
                var (seq, app) = try await Self.appRow(connection, scope, appId, lock: true)
                try update(&app.tags)
                try await Self.save(connection, app, seq: seq)
                return app.tags
            case .branch(let appId, let branchName):
                var (seq, branch) = try await Self.branchRow(connection, scope, appId, branchName, lock: true)
                try update(&branch.tags)
                try await Self.save(connection, branch, seq: seq)
                return branch.tags
            case .job:
                var (seq, tags) = try await Self.tags(connection, scope, resource, lock: true)
                try update(&tags)
                try await connection.run("UPDATE job SET tags = \(try Documents.encode(tags)) WHERE seq = \(seq)")
                return tags
            }
        }
    }

    private static func tags(
        _ connection: PostgresConnection, _ scope: Scope, _ resource: TaggedResource, lock: Bool = false
    ) async throws -> (seq: Int64, tags: [String: String]) {
        switch resource {
        case .app(let appId):
            let (seq, app) = try await appRow(connection, scope, appId)
            return (seq, app.tags)
        case .branch(let appId, let branchName):
            let (seq, branch) = try await branchRow(connection, scope, appId, branchName)
            return (seq, branch.tags)
        case .job(let key):
            guard let seq = try await jobRow(connection, key, lock: lock)?.seq else { throw try await missing(connection, key) }
            let stored = try await connection.row("SELECT tags FROM job WHERE seq = \(seq)")?.decode(Data?.self)
            return (seq, try stored.map { try Documents.decode([String: String].self, from: $0) } ?? [:])
        }
    }
}
