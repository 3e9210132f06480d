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
