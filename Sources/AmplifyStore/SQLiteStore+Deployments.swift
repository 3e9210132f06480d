import AmplifyCore
import Foundation
import GRDB

/// Manual deployments: jobs of the branch's sequence.
extension SQLiteStore {
    public func createDeployment(
        _ scope: Scope, appId: String, branchName: String, sourceUrl: String?, sourceUrlType: SourceUrlType?, now: Date
    ) async throws -> Job {
        try await self.write { db in
            let app = try Self.appRow(db, scope, appId).app
            var (branchSeq, branch) = try Self.branchRow(db, scope, appId, branchName)
            let job = try branch.createDeployment(
                app: app, activeJobId: Self.activeJobId(db, branchSeq: branchSeq), sourceUrl: sourceUrl, sourceUrlType: sourceUrlType, now: now
            )
            try Self.insertJob(db, branchSeq: branchSeq, job)
            try Self.save(db, branch, seq: branchSeq)
            return job
        }
    }
}
