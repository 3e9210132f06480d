import AmplifyCore
import Foundation
import PostgresNIO

/// A branch's next job, inserted with the branch's new document (its job counter) in one statement
/// (`PostgresStore.insertJob`); answers the job's row id.
struct InsertJobStatement: PostgresPreparedStatement {
    static let sql = """
        WITH counted AS (UPDATE branch SET document = $1 WHERE seq = $2)
        INSERT INTO job (branchSeq, jobId, status, jobType, commitId, commitMessage, commitTime, startTime, endTime,
                         jobReason, sourceUrl, sourceUrlType, statusReason)
        VALUES ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
        RETURNING seq
        """

    var branchDocument: Data
    var branchSeq: Int64
    var job: Job

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 14)
        try bindings.append(self.branchDocument)
        bindings.append(self.branchSeq)
        bindings.append(self.job.key.jobId)
        bindings.append(self.job.status.rawValue)
        bindings.append(self.job.jobType.rawValue)
        bindings.append(self.job.commitId.replacingNUL)
        bindings.append(self.job.commitMessage.replacingNUL)
        bindings.append(self.job.commitTime.timeIntervalSince1970)
        bindings.append(self.job.startTime.timeIntervalSince1970)
        bindings.append(self.job.endTime?.timeIntervalSince1970)
        bindings.append(self.job.jobReason?.replacingNUL)
        bindings.append(self.job.sourceUrl?.replacingNUL)
        bindings.append(self.job.sourceUrlType?.rawValue)
        bindings.append(self.job.statusReason?.replacingNUL)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Int64 {
        try row.decode(Int64.self)
    }
}
