import AmplifyCore
import Foundation
import PostgresNIO

extension PostgresStore {
    public func receivePush(_ scope: Scope, appId: String, branchName: String, _ push: Push, now: Date) async throws -> PushOutcome {
        try await self.write { connection in
            var target = try await Self.newJobTarget(connection, scope, appId, branchName)
            let before = target.branch
            let outcome = try target.branch.receive(push, app: target.app, activeJobId: target.activeJobId, now: now)
            if case .built(let job) = outcome {
                try await Self.insertJob(connection, job, into: target)
            } else if target.branch != before {
                try await Self.save(connection, target.branch, seq: target.branchSeq)
            }
            return outcome
        }
    }

    public func claimFollowedRepositories(node: String, leaseUntil: Date, now: Date) async throws -> [FollowedRepository] {
        try await self.write { connection in
            // Every app gets its row (an empty repository until a reading is recorded), so leases are rows to lock.
            try await connection.run(
                """
                INSERT INTO repository_follow (appSeq, repository)
                SELECT seq, '' FROM app WHERE NOT EXISTS (SELECT 1 FROM repository_follow WHERE appSeq = app.seq)
                ON CONFLICT (appSeq) DO NOTHING
                """
            )
            // Rows another node is claiming are skipped, not waited for.
            let rows = try await connection.rows(
                """
                SELECT app.seq, app.document, follow.repository, follow.refs, follow.node, follow.leaseExpires
                FROM repository_follow AS follow JOIN app ON app.seq = follow.appSeq
                WHERE (follow.node IS NULL OR follow.node = \(node) OR follow.leaseExpires < \(now.timeIntervalSince1970))
                    AND position(\(Documents.member("repository")) IN app.document) > 0
                FOR NO KEY UPDATE OF follow SKIP LOCKED
                """
            )
            var followed: [FollowedRepository] = []
            var renew: [Int64] = []
            for row in rows {
                let (seq, document, recorded, refs, holder, expires) = try row.decode((Int64, Data, String, Data?, String?, Double?).self)
                let last = try refs.map { try Documents.decode(GitRefs.self, from: $0) }
                guard let repository = FollowedRepository(app: try Documents.decode(App.self, from: document), recordedRepository: recorded, recordedRefs: last)
                else { continue }
                // A lease more than half left is kept as it is: most polls write nothing.
                if holder != node || (expires ?? 0) < now.addingTimeInterval(leaseUntil.timeIntervalSince(now) / 2).timeIntervalSince1970 {
                    renew.append(seq)
                }
                followed.append(repository)
            }
            if !renew.isEmpty {
                try await connection.run(
                    "UPDATE repository_follow SET node = \(node), leaseExpires = \(leaseUntil.timeIntervalSince1970) WHERE appSeq = ANY(\(renew))"
                )
            }
            return followed
        }
    }

    public func branchesWithPendingPush(_ scope: Scope, appId: String) async throws -> [Branch] {
        try await self.read { connection in
            let appSeq = try await Self.appSeq(connection, scope, appId)
            let rows = try await connection.rows(
                "SELECT document FROM branch WHERE appSeq = \(appSeq) AND position(\(Documents.member("pendingPush")) IN document) > 0 ORDER BY seq"
            )
            return try rows.map { try Documents.decode(Branch.self, from: try $0.decode(Data.self)) }.filter { $0.pendingPush != nil }
        }
    }

    public func recordRefs(_ scope: Scope, appId: String, repository: String, refs: GitRefs, expected: GitRefs?) async throws -> Bool {
        try await self.write { connection in
            let (appSeq, app) = try await Self.appRow(connection, scope, appId, lock: true)
            let row = try await connection.row("SELECT repository, refs FROM repository_follow WHERE appSeq = \(appSeq) FOR UPDATE")
            let (recorded, document) = try row?.decode((String?, Data?).self) ?? (nil, nil)
            let followed = FollowedRepository(
                app: app, recordedRepository: recorded, recordedRefs: try document.map { try Documents.decode(GitRefs.self, from: $0) }
            )
            guard let followed, followed.records(readingOf: repository, expected: expected) else { return false }
            try await connection.run(
                """
                INSERT INTO repository_follow (appSeq, repository, refs) VALUES (\(appSeq), \(repository), \(try Documents.encode(refs)))
                ON CONFLICT (appSeq) DO UPDATE SET repository = excluded.repository, refs = excluded.refs
                """
            )
            return true
        }
    }
}
