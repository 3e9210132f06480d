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
                Int.self, sql: "SELECT jobId FROM job WHERE branchSeq = ? AND status IN (\(JobStatus.activeSQL))", arguments: [branchSeq]
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
}
