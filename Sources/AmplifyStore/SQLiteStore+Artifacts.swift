import AmplifyCore
import Foundation
import GRDB

/// Test artifacts: rows under their job, which go with it.
extension SQLiteStore {
    public func recordTestArtifacts(_ key: JobKey, _ artifacts: [TestArtifact]) async throws {
        try await self.write { db in
            let (jobSeq, _) = try Self.jobRow(db, key)
            try db.cachedExecute(sql: "DELETE FROM job_artifact WHERE jobSeq = ?", arguments: [jobSeq])
            for artifact in artifacts {
                try db.cachedExecute(
                    sql: "INSERT INTO job_artifact (jobSeq, artifactId, fileName, bytes, kind) VALUES (?, ?, ?, ?, ?)",
                    arguments: [jobSeq, artifact.artifactId, artifact.fileName, artifact.bytes, artifact.kind.rawValue]
                )
            }
        }
    }

    public func testArtifacts(_ key: JobKey, kinds: Set<TestArtifact.Kind>, after token: PageToken?, limit: Int) async throws -> Page<TestArtifact> {
        try await self.database.read { db in
            let (jobSeq, _) = try Self.jobRow(db, key)
            let rows = try db.cachedRows(
                sql: """
                    SELECT seq, artifactId, fileName, bytes, kind FROM job_artifact
                    WHERE jobSeq = ? AND seq > ? AND instr(?, ',' || kind || ',') > 0 ORDER BY seq LIMIT ?
                    """,
                arguments: [jobSeq, token?.position ?? 0, TestArtifact.Kind.list(kinds), limit + 1]
            )
            return Page(fetched: rows.compactMap { row in Self.artifact(row).map { (row["seq"], $0) } }, limit: limit, list: .artifacts)
        }
    }

    public func testArtifact(_ scope: Scope, artifactId: String) async throws -> (key: JobKey, artifact: TestArtifact) {
        try await self.database.read { db in
            guard
                let row = try db.cachedRow(
                    sql: """
                        SELECT job_artifact.seq, artifactId, fileName, bytes, kind, app.appId, branch.branchName, job.jobId
                        FROM job_artifact JOIN job ON job.seq = job_artifact.jobSeq JOIN branch ON branch.seq = job.branchSeq
                        JOIN app ON app.seq = branch.appSeq
                        WHERE job_artifact.artifactId = ? AND app.account = ? AND app.region = ?
                        """,
                    arguments: [artifactId, scope.account, scope.region]
                ),
                let artifact = Self.artifact(row)
            else { throw AmplifyError.artifactNotFound(artifactId) }
            return (JobKey(scope: scope, appId: row[5], branchName: row[6], jobId: row[7]), artifact)
        }
    }

    private static func artifact(_ row: Row) -> TestArtifact? {
        TestArtifact.Kind(rawValue: row[4]).map { TestArtifact(artifactId: row[1], fileName: row[2], bytes: row[3], kind: $0) }
    }
}
