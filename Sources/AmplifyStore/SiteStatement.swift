import AmplifyCore
import Foundation
import PostgresNIO

/// A site's app and its branches, oldest first, in one statement (`PostgresStore.site`): every request to a
/// site runs it. One row per branch (no branch: one row, its branch document null).
struct SiteStatement: PostgresPreparedStatement {
    static let sql = """
        SELECT app.document, branch.document FROM app LEFT JOIN branch ON branch.appSeq = app.seq
        WHERE app.seq = (SELECT seq FROM app WHERE appId = $1 LIMIT 1) ORDER BY branch.seq
        """

    var appId: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(self.appId.replacingNUL)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> (Data, Data?) {
        try row.decode((Data, Data?).self)
    }
}
