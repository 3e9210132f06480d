import AmplifyCore
import PostgresNIO

/// Every string a query of `PostgresStore` binds has its NUL characters replaced (`replacingNUL`): PostgreSQL's
/// text holds none and would refuse the whole statement. The API refuses NULs in requests and build logs
/// replace them, so this is the last guard. Being more specific than PostgresNIO's generic ones, these
/// overloads take every `String`.
extension PostgresQuery.StringInterpolation {
    mutating func appendInterpolation(_ value: String) {
        self.appendBind(value.replacingNUL)
    }

    mutating func appendInterpolation(_ value: String?) {
        self.appendBind(value.map(\.replacingNUL))
    }

    private mutating func appendBind<Value: PostgresDynamicTypeEncodable>(_ value: Value?) {
        // Generic here, so this is PostgresNIO's own interpolation, not the ones above.
        self.appendInterpolation(value)
    }
}
