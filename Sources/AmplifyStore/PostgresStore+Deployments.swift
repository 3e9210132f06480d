import AmplifyCore
import Foundation
import PostgresNIO

/// Manual deployments: jobs of the branch's sequence.
extension PostgresStore {
    public func createDeployment(
        _ scope: Scope, appId: String, branchName: String, sourceUrl: String?, sourceUrlType: SourceUrlType?, now: Date
    ) async throws -> Job {
        try await self.write { connection in
            var target = try await Self.newJobTarget(connection, scope, appId, branchName)
            let job = try target.branch.createDeployment(
                app: target.app, activeJobId: target.activeJobId, sourceUrl: sourceUrl, sourceUrlType: sourceUrlType, now: now
            )
            try await Self.insertJob(connection, job, into: target)
            return job
        }
    }
}
