import AmplifyCore
import Foundation
import PostgresNIO

/// Manual deployments: jobs of the branch's sequence.
extension PostgresStore {
    public func createDeployment(
        _ scope: Scope, appId: String, branchName: String, sourceUrl: String?, sourceUrlType: String?, now: Date
    ) async throws -> Job {
        try await self.write { connection in
            let app = try await Self.appRow(connection, scope, appId).app
            try Job.requireManualDeployable(app)
            var (branchSeq, branch) = try await Self.branchRow(connection, scope, appId, branchName, lock: true)
            if let active = try await Self.activeJobId(connection, branchSeq: branchSeq) {
                throw Job.deploymentBusy(active)
            }
            let jobId = branch.totalNumberOfJobs + 1
            let key = JobKey(scope: scope, appId: appId, branchName: branchName, jobId: jobId)
            let job = Job.deployment(key: key, now: now, sourceUrl: sourceUrl, sourceUrlType: sourceUrlType)
            try await Self.insertJob(connection, branchSeq: branchSeq, job)
            branch.totalNumberOfJobs = jobId
            branch.activeJobId = jobId
            try await Self.save(connection, branch, seq: branchSeq)
            return job
        }
    }
}
