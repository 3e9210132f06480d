import AmplifyCore
import Foundation
import GRDB

extension SQLiteStore {
    public func receivePush(_ scope: Scope, appId: String, branchName: String, _ push: Push, now: Date) async throws -> PushOutcome {
        try await self.write { db in
            let app = try Self.appRow(db, scope, appId).app
            var (branchSeq, branch) = try Self.branchRow(db, scope, appId, branchName)
            let before = branch
            let outcome = try branch.receive(push, app: app, activeJobId: Self.activeJobId(db, branchSeq: branchSeq), now: now)
            if case .built(let job) = outcome { try Self.insertJob(db, branchSeq: branchSeq, job) }
            if branch != before { try Self.save(db, branch, seq: branchSeq) }
            return outcome
        }
    }

    public func claimFollowedRepositories(node: String, leaseUntil: Date, now: Date) async throws -> [FollowedRepository] {
        try await self.write { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT app.seq, app.document, follow.repository, follow.refs, follow.node, follow.leaseExpires
                    FROM app LEFT JOIN repository_follow AS follow ON follow.appSeq = app.seq
                    """
            )
            var followed: [FollowedRepository] = []
            for row in rows {
                let app = try Documents.decode(App.self, from: row[1])
                guard app.hasRepository, let repository = app.repository else { continue }
                let holder: String? = row[4]
                let expires: Double? = row[5]
                if let holder, holder != node, let expires, expires > now.timeIntervalSince1970 { continue }
                // A lease more than half left is kept as it is: most polls write nothing.
                if holder != node || (expires ?? 0) < now.addingTimeInterval(leaseUntil.timeIntervalSince(now) / 2).timeIntervalSince1970 {
                    try db.cachedExecute(
                        sql: """
                            INSERT INTO repository_follow (appSeq, repository, node, leaseExpires) VALUES (?, ?, ?, ?)
                            ON CONFLICT (appSeq) DO UPDATE SET node = excluded.node, leaseExpires = excluded.leaseExpires
                            """,
                        arguments: [row[0] as Int64, repository, node, leaseUntil.timeIntervalSince1970]
                    )
                }
                let recorded: String? = row[2]
                let refs = try (row[3] as Data?).map { try Documents.decode(GitRefs.self, from: $0) }
                followed.append(FollowedRepository(app: app, refs: recorded == repository ? refs : nil))
            }
            return followed
        }
    }

    public func recordRefs(_ scope: Scope, appId: String, repository: String, refs: GitRefs, expected: GitRefs?) async throws -> Bool {
        try await self.write { db in
            let (appSeq, app) = try Self.appRow(db, scope, appId)
            guard app.repository == repository else { return false }
            let row = try db.cachedRow(sql: "SELECT repository, refs FROM repository_follow WHERE appSeq = ?", arguments: [appSeq])
            let recorded: String? = row?[0]
            let current = try (row?[1] as Data?).map { try Documents.decode(GitRefs.self, from: $0) }
            guard (recorded == repository ? current : nil) == expected else { return false }
            try db.cachedExecute(
                sql: """
                    INSERT INTO repository_follow (appSeq, repository, refs) VALUES (?, ?, ?)
                    ON CONFLICT (appSeq) DO UPDATE SET repository = excluded.repository, refs = excluded.refs
                    """,
                arguments: [appSeq, repository, try Documents.encode(refs)]
            )
            return true
        }
    }
}
