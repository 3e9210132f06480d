import AmplifyCore
import Foundation
import GRDB

/// Manual deployments: jobs of the branch's sequence, with their uploaded files as rows of the job.
extension SQLiteStore {
    public func createDeployment(
        _ scope: Scope, appId: String, branchName: String, sourceUrl: String?, sourceUrlType: String?, now: Date
    ) async throws -> Job {
        try await self.write { db in
            let app = try Self.appRow(db, scope, appId).app
            try Job.requireManualDeployable(app)
            var (branchSeq, branch) = try Self.branchRow(db, scope, appId, branchName)
            if let active = try db.cachedValue(
                Int.self, sql: "SELECT jobId FROM job WHERE branchSeq = ? AND status IN (\(Self.activeStatuses))", arguments: [branchSeq]
            ) {
                throw Job.deploymentBusy(active)
            }
            let jobId = branch.totalNumberOfJobs + 1
            let key = JobKey(scope: scope, appId: appId, branchName: branchName, jobId: jobId)
            let job = Job.deployment(key: key, now: now, sourceUrl: sourceUrl, sourceUrlType: sourceUrlType)
            try Self.insertJob(db, branchSeq: branchSeq, job)
            branch.totalNumberOfJobs = jobId
            branch.activeJobId = jobId
            try db.cachedExecute(sql: "UPDATE branch SET document = ? WHERE seq = ?", arguments: [try Documents.encode(branch), branchSeq])
            return job
        }
    }

    public func putDeploymentFile(_ key: JobKey, name: String, content: Data, whileIn statuses: Set<JobStatus>) async throws {
        try await self.write { db in
            let (seq, job) = try Self.jobRow(db, key)
            guard job.jobType == .manual, statuses.contains(job.status) else {
                throw AmplifyError.badRequest("Job \(key.jobId) takes no uploads: it is a \(job.jobType.rawValue) job, \(job.status.rawValue).")
            }
            try db.cachedExecute(
                sql: "INSERT INTO deployment_file (jobSeq, name, content) VALUES (?, ?, ?) ON CONFLICT (jobSeq, name) DO UPDATE SET content = excluded.content",
                arguments: [seq, name, content]
            )
        }
    }

    public func deploymentFiles(_ key: JobKey) async throws -> [String: Data] {
        try await self.database.read { db in
            let seq = try Self.jobRow(db, key).seq
            let rows = try db.cachedRows(sql: "SELECT name, content FROM deployment_file WHERE jobSeq = ?", arguments: [seq])
            return Dictionary(uniqueKeysWithValues: rows.map { ($0[0] as String, $0[1] as Data) })
        }
    }
}
