import AmplifyCore
import PostgresNIO

/// A job's columns and its steps' (`PostgresStore.jobColumns`, then the step's five), one row per step, as a
/// prepared statement: GetJob runs it on every call, and each connection plans it once.
struct JobStatement: PostgresPreparedStatement {
    static let sql = """
        SELECT \(PostgresStore.jobColumns), step.stepName, step.status, step.startTime, step.endTime, step.statusReason FROM app
        JOIN branch ON branch.appSeq = app.seq JOIN job ON job.branchSeq = branch.seq
        LEFT JOIN job_step step ON step.jobSeq = job.seq
        WHERE app.account = $1 AND app.region = $2 AND app.appId = $3 AND branch.branchName = $4 AND job.jobId = $5
        ORDER BY step.position
        """

    var key: JobKey

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 5)
        bindings.append(self.key.scope.account.replacingNUL)
        bindings.append(self.key.scope.region.replacingNUL)
        bindings.append(self.key.appId.replacingNUL)
        bindings.append(self.key.branchName.replacingNUL)
        bindings.append(self.key.jobId)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}
