import AmplifyCore
import Foundation
import PostgresNIO

/// Where StartJob and CreateDeployment add a job (`PostgresStore.newJobTarget`): the app's document, the
/// branch's row id and document (locked: its job counter changes), and the id of its job in progress, if any.
struct NewJobTargetStatement: PostgresPreparedStatement {
    static let sql = """
        SELECT app.document, branch.seq, branch.document,
               (SELECT jobId FROM job WHERE job.branchSeq = branch.seq AND job.status IN (\(JobStatus.activeSQL)) LIMIT 1)
        FROM app JOIN branch ON branch.appSeq = app.seq
        WHERE app.account = $1 AND app.region = $2 AND app.appId = $3 AND branch.branchName = $4
        FOR NO KEY UPDATE OF branch
        """

    var scope: Scope
    var appId: String
    var branchName: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 4)
        bindings.append(self.scope.account.replacingNUL)
        bindings.append(self.scope.region.replacingNUL)
        bindings.append(self.appId.replacingNUL)
        bindings.append(self.branchName.replacingNUL)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> (Data, Int64, Data, Int?) {
        try row.decode((Data, Int64, Data, Int?).self)
    }
}
