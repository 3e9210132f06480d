import AmplifyCore
import Foundation
import PostgresNIO

/// Test artifacts: rows under their job, which go with it.
extension PostgresStore {
    public func recordTestArtifacts(_ key: JobKey, _ artifacts: [TestArtifact]) async throws {
        try await self.write { connection in
            let jobSeq = try await Self.jobSeq(connection, key)
            try await connection.run("DELETE FROM job_artifact WHERE jobSeq = \(jobSeq)")
            guard !artifacts.isEmpty else { return }
            try await connection.run(
                """
                INSERT INTO job_artifact (jobSeq, artifactId, fileName, bytes, kind)
                SELECT \(jobSeq), a.artifactId, a.fileName, a.bytes, a.kind FROM unnest(\(artifacts.map(\.artifactId)), \(artifacts.map(\.fileName)),
                    \(artifacts.map(\.bytes)), \(artifacts.map(\.kind.rawValue))) WITH ORDINALITY AS a(artifactId, fileName, bytes, kind, position)
                ORDER BY position
                """
            )
        }
    }

    public func testArtifacts(_ key: JobKey, kinds: Set<TestArtifact.Kind>, after token: PageToken?, limit: Int) async throws -> Page<TestArtifact> {
        try await self.read { connection in
            let jobSeq = try await Self.jobSeq(connection, key)
            let rows = try await connection.rows(
                """
                SELECT seq, artifactId, fileName, bytes, kind FROM job_artifact
                WHERE jobSeq = \(jobSeq) AND seq > \(token?.position ?? 0) AND kind = ANY(\(kinds.map(\.rawValue)))
                ORDER BY seq LIMIT \(limit + 1)
                """
            )
            var fetched: [(Int64, TestArtifact)] = []
            for row in rows {
                let (seq, id, name, bytes, kind) = try row.decode((Int64, String, String, Int64, String).self)
                guard let kind = TestArtifact.Kind(rawValue: kind) else { continue }
                fetched.append((seq, TestArtifact(artifactId: id, fileName: name, bytes: bytes, kind: kind)))
            }
            return Page(fetched: fetched, limit: limit, list: .artifacts)
        }
    }

    public func testArtifact(_ scope: Scope, artifactId: String) async throws -> (key: JobKey, artifact: TestArtifact) {
        try await self.read { connection in
            let row = try await connection.row(
                """
                SELECT fileName, bytes, kind, app.appId, branch.branchName, job.jobId
                FROM job_artifact JOIN job ON job.seq = job_artifact.jobSeq JOIN branch ON branch.seq = job.branchSeq
                JOIN app ON app.seq = branch.appSeq
                WHERE job_artifact.artifactId = \(artifactId) AND app.account = \(scope.account) AND app.region = \(scope.region)
                """
            )
            guard let (name, bytes, kind, appId, branchName, jobId) = try row?.decode((String, Int64, String, String, String, Int).self),
                let kind = TestArtifact.Kind(rawValue: kind)
            else { throw AmplifyError.artifactNotFound(artifactId) }
            return (
                JobKey(scope: scope, appId: appId, branchName: branchName, jobId: jobId),
                TestArtifact(artifactId: artifactId, fileName: name, bytes: bytes, kind: kind)
            )
        }
    }

    /// The job's row number, or NotFound for it, its branch or its app.
    private static func jobSeq(_ connection: PostgresConnection, _ key: JobKey) async throws -> Int64 {
        let row = try await connection.row(
            """
            SELECT job.seq FROM app JOIN branch ON branch.appSeq = app.seq JOIN job ON job.branchSeq = branch.seq
            WHERE app.account = \(key.scope.account) AND app.region = \(key.scope.region) AND app.appId = \(key.appId)
              AND branch.branchName = \(key.branchName) AND job.jobId = \(key.jobId)
            """
        )
        guard let seq = try row?.decode(Int64.self) else { throw try await Self.missing(connection, key) }
        return seq
    }
}
