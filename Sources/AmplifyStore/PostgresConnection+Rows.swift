import PostgresNIO

/// Queries whose rows are read whole (the store's results are small).
extension PostgresConnection {
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await self.query(query, logger: PostgresStore.queryLogger).collect()
    }

    func row(_ query: PostgresQuery) async throws -> PostgresRow? {
        try await self.rows(query).first
    }

    func run(_ query: PostgresQuery) async throws {
        _ = try await self.rows(query)
    }
}

/// Prepared statements, for the queries run most (each connection plans them once).
extension PostgresConnection {
    func rows<Statement: PostgresPreparedStatement>(_ statement: Statement) async throws -> [Statement.Row] {
        var rows: [Statement.Row] = []
        for try await row in try await self.execute(statement, logger: PostgresStore.queryLogger) {
            rows.append(row)
        }
        return rows
    }
}
