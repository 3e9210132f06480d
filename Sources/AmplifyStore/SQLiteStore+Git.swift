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

    /// One server at a time holds an SQLite file (`DataDirectoryLock`): it follows every repository, and a lease another
    /// name left is its own previous run's. Nothing is written.
    public func claimFollowedRepositories(node: String, leaseUntil: Date, now: Date) async throws -> [FollowedRepository] {
        try await self.database.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT app.document, follow.repository, follow.refs
                    FROM app LEFT JOIN repository_follow AS follow ON follow.appSeq = app.seq
                    WHERE instr(app.document, ?) > 0
                    """,
                arguments: [Documents.member("repository")]
            )
            return try rows.compactMap { row in
                FollowedRepository(
                    app: try Documents.decode(App.self, from: row[0]), recordedRepository: row[1],
                    recordedRefs: try (row[2] as Data?).map { try Documents.decode(GitRefs.self, from: $0) }
                )
            }
        }
    }

    public func branchesWithPendingPush(_ scope: Scope, appId: String) async throws -> [Branch] {
        try await self.database.read { db in
            try db.cachedRows(
                sql: "SELECT document FROM branch WHERE appSeq = ? AND instr(document, ?) > 0 ORDER BY seq",
                arguments: [try Self.appSeq(db, scope, appId), Documents.member("pendingPush")]
            ) { try Documents.decode(Branch.self, from: $0[0]) }.filter { $0.pendingPush != nil }
        }
    }

    public func recordRefs(_ scope: Scope, appId: String, repository: String, refs: GitRefs, expected: GitRefs?) async throws -> Bool {
        try await self.write { db in
            let (appSeq, app) = try Self.appRow(db, scope, appId)
            let row = try db.cachedRow(sql: "SELECT repository, refs FROM repository_follow WHERE appSeq = ?", arguments: [appSeq])
            let followed = FollowedRepository(
                app: app, recordedRepository: row?[0], recordedRefs: try (row?[1] as Data?).map { try Documents.decode(GitRefs.self, from: $0) }
            )
            guard let followed, followed.records(readingOf: repository, expected: expected) else { return false }
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
