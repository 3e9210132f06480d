import GRDB

/// Queries through GRDB's statement cache: each SQL text is compiled once per connection, not per call.
extension Database {
    func cachedRows(sql: String, arguments: StatementArguments = StatementArguments()) throws -> [Row] {
        try Row.fetchAll(self.cachedStatement(sql: sql), arguments: arguments)
    }

    /// Each row read by `transform` where SQLite stepped to it, without copying its values into a `Row` of their own
    /// first (column reads by position go straight to SQLite's); `transform` must not keep the row.
    func cachedRows<T>(sql: String, arguments: StatementArguments = StatementArguments(), _ transform: (Row) throws -> T) throws -> [T] {
        let cursor = try Row.fetchCursor(self.cachedStatement(sql: sql), arguments: arguments)
        var values: [T] = []
        while let row = try cursor.next() { values.append(try transform(row)) }
        return values
    }

    /// The first row read by `transform` (as `cachedRows(sql:arguments:_:)` reads them), or nil when there is none.
    func cachedRow<T>(sql: String, arguments: StatementArguments = StatementArguments(), _ transform: (Row) throws -> T) throws -> T? {
        let cursor = try Row.fetchCursor(self.cachedStatement(sql: sql), arguments: arguments)
        return try cursor.next().map(transform)
    }

    func cachedRow(sql: String, arguments: StatementArguments = StatementArguments()) throws -> Row? {
        try Row.fetchOne(self.cachedStatement(sql: sql), arguments: arguments)
    }

    func cachedValue<Value: DatabaseValueConvertible & StatementColumnConvertible>(
        _ type: Value.Type, sql: String, arguments: StatementArguments = StatementArguments()
    ) throws -> Value? {
        try Value.fetchOne(self.cachedStatement(sql: sql), arguments: arguments)
    }

    func cachedValues<Value: DatabaseValueConvertible & StatementColumnConvertible>(
        _ type: Value.Type, sql: String, arguments: StatementArguments = StatementArguments()
    ) throws -> [Value] {
        try Value.fetchAll(self.cachedStatement(sql: sql), arguments: arguments)
    }

    func cachedExecute(sql: String, arguments: StatementArguments = StatementArguments()) throws {
        try self.cachedStatement(sql: sql).execute(arguments: arguments)
    }
}
