import AmplifyCore
import Foundation
import PostgresNIO

/// Manual deployments: jobs of the branch's sequence.
extension PostgresStore {
    public func createDeployment(
        _ scope: Scope, appId: String, branchName: String, sourceUrl: String?, sourceUrlType: String?, now: Date
    ) async throws -> Job {
        try await self.write { connection in
            let target: (app: App, branchSeq: Int64, branch: Branch, activeJobId: Int?)
            do {
                target = try await Self.newJobTarget(connection, scope, appId, branchName)
            } catch let error as AmplifyError where error.code == .notFound {
                // An app that cannot take manual deployments says so before a missing branch does (as SQLiteStore).
                try Job.requireManualDeployable(try await Self.appRow(connection, scope, appId).app)
                throw error
            }
            try Job.requireManualDeployable(target.app)
            if let active = target.activeJobId {
                throw Job.deploymentBusy(active)
            }
            let key = JobKey(scope: scope, appId: appId, branchName: branchName, jobId: target.branch.totalNumberOfJobs + 1)
            let job = Job.deployment(key: key, now: now, sourceUrl: sourceUrl, sourceUrlType: sourceUrlType)
            try await Self.insertJob(connection, job, into: target)
            return job
        }
    }
}
