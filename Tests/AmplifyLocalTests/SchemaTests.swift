import AmplifyStore
import Foundation
import GRDB
import PostgresNIO
import Testing

/// One schema truth: SQLite's migrations and PostgreSQL's bring the two engines to the same tables, columns,
/// indexes (unique and partial ones included) and cascading foreign keys. Types compare by kind (text, integer,
/// real, bytes) and names without case (PostgreSQL folds unquoted names to lowercase).
@Suite struct SchemaTests {
    /// A schema as comparable lines: `table.column TYPE [NOT NULL]`, `table(columns) [UNIQUE] [WHERE 'a','b']`,
    /// `table.column -> other.column ON DELETE action`.
    struct Schema: Equatable, CustomStringConvertible {
        var columns: Set<String> = []
        var indexes: Set<String> = []
        var foreignKeys: Set<String> = []

        var description: String {
            (self.columns.sorted() + self.indexes.sorted() + self.foreignKeys.sorted()).joined(separator: "\n")
        }

        static func index(_ table: String, _ columns: [String], unique: Bool, predicate: String?) -> String {
            var line = "\(table)(\(columns.joined(separator: ",")))".lowercased()
            if unique { line += " UNIQUE" }
            if let predicate { line += " WHERE " + Self.literals(predicate).joined(separator: ",") }
            return line
        }

        /// The quoted words of a partial index's predicate, in order: both engines spell the rest differently.
        static func literals(_ predicate: String) -> [String] {
            predicate.split(separator: "'", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
        }
    }

    static let bookkeeping: Set<String> = ["grdb_migrations", "schema_version"]

    static func sqliteSchema() throws -> Schema {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("amplify-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("db.sqlite").path
        _ = try SQLiteStore(path: path)
        return try DatabaseQueue(path: path).read { db in
            var schema = Schema()
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            for table in tables where !Self.bookkeeping.contains(table) {
                var primaryKey: [(Int, String)] = []
                for column in try Row.fetchAll(db, sql: "PRAGMA table_info(\(table))") {
                    let name: String = column["name"]
                    let kind = (column["type"] as String).uppercased()
                    let position: Int = column["pk"]
                    let notNull = (column["notnull"] as Int) == 1 || position > 0
                    schema.columns.insert("\(table).\(name) \(kind)\(notNull ? " NOT NULL" : "")".lowercased())
                    if position > 0 { primaryKey.append((position, name)) }
                }
                schema.indexes.insert(Schema.index(table, primaryKey.sorted { $0.0 < $1.0 }.map(\.1), unique: true, predicate: nil))
                for index in try Row.fetchAll(db, sql: "PRAGMA index_list(\(table))") {
                    let name: String = index["name"]
                    let columns = try Row.fetchAll(db, sql: "PRAGMA index_info(\(name))").sorted { ($0["seqno"] as Int) < ($1["seqno"] as Int) }
                    let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", arguments: [name])
                    let predicate = sql.flatMap { text in text.range(of: " WHERE ").map { String(text[$0.upperBound...]) } }
                    schema.indexes.insert(
                        Schema.index(table, columns.map { $0["name"] }, unique: (index["unique"] as Int) == 1, predicate: predicate)
                    )
                }
                for key in try Row.fetchAll(db, sql: "PRAGMA foreign_key_list(\(table))") {
                    let line = "\(table).\(key["from"] as String) -> \(key["table"] as String).\(key["to"] as String) ON DELETE \(key["on_delete"] as String)"
                    schema.foreignKeys.insert(line.lowercased())
                }
            }
            return schema
        }
    }

    static func postgresSchema(_ location: PostgresLocation) async throws -> Schema {
        _ = try await PostgresStore(location: location, logger: TestPostgres.logger)
        let connection = try await PostgresConnection.connect(configuration: location.testConnectionConfiguration, id: 2, logger: TestPostgres.logger)
        do {
            let schema = try await Self.postgresSchema(connection)
            try await connection.close()
            return schema
        } catch {
            try? await connection.close()
            throw error
        }
    }

    static func postgresSchema(_ connection: PostgresConnection) async throws -> Schema {
        func rows(_ sql: String) async throws -> [PostgresRow] {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestPostgres.logger).collect()
        }
        let kinds = ["bigint": "integer", "integer": "integer", "text": "text", "double precision": "real", "bytea": "blob"]
        var schema = Schema()
        let columns = try await rows(
            "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public'"
        )
        for row in columns {
            let (table, column, type, nullable) = try row.decode((String, String, String, String).self)
            guard !Self.bookkeeping.contains(table) else { continue }
            schema.columns.insert("\(table).\(column) \(kinds[type] ?? type)\(nullable == "NO" ? " not null" : "")".lowercased())
        }
        for row in try await rows("SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'") {
            let (table, definition) = try row.decode((String, String).self)
            guard !Self.bookkeeping.contains(table), let open = definition.firstIndex(of: "("), let close = definition.firstIndex(of: ")") else {
                continue
            }
            let columns = definition[definition.index(after: open)..<close].split(separator: ",").map {
                $0.trimmingCharacters(in: CharacterSet(charactersIn: " \""))  // reserved words come quoted ("position")
            }
            let predicate = definition.range(of: " WHERE ").map { String(definition[$0.upperBound...]) }
            schema.indexes.insert(Schema.index(table, columns, unique: definition.hasPrefix("CREATE UNIQUE"), predicate: predicate))
        }
        let keys = try await rows(
            """
            SELECT c.conrelid::regclass::text, a.attname::text, c.confrelid::regclass::text, r.attname::text, c.confdeltype::text
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            JOIN pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = c.confkey[1]
            WHERE c.contype = 'f'
            """
        )
        let actions = ["c": "cascade", "a": "no action", "r": "restrict", "n": "set null", "d": "set default"]
        for row in keys {
            let (table, column, other, otherColumn, action) = try row.decode((String, String, String, String, String).self)
            schema.foreignKeys.insert("\(table).\(column) -> \(other).\(otherColumn) on delete \(actions[action] ?? action)".lowercased())
        }
        return schema
    }

    @Test func sqliteSchemaIsReadable() throws {
        let schema = try Self.sqliteSchema()
        #expect(schema.columns.contains("job.status text not null"))
        #expect(schema.indexes.contains { $0.hasPrefix("job(branchseq) UNIQUE WHERE CREATED,PENDING") })
        #expect(schema.foreignKeys.contains("job.branchseq -> branch.seq on delete cascade"))
    }

    @Test(.enabled(if: TestPostgres.server != nil, "needs AMPLIFY_LOCAL_TEST_POSTGRES"))
    func bothEnginesHaveTheSameSchema() async throws {
        let sqlite = try Self.sqliteSchema()
        try await TestPostgres.withDatabase { location in
            let postgres = try await Self.postgresSchema(location)
            #expect(sqlite.columns.subtracting(postgres.columns).sorted() == [], "columns only in SQLite")
            #expect(postgres.columns.subtracting(sqlite.columns).sorted() == [], "columns only in PostgreSQL")
            #expect(sqlite.indexes.subtracting(postgres.indexes).sorted() == [], "indexes only in SQLite")
            #expect(postgres.indexes.subtracting(sqlite.indexes).sorted() == [], "indexes only in PostgreSQL")
            #expect(sqlite.foreignKeys.subtracting(postgres.foreignKeys).sorted() == [], "foreign keys only in SQLite")
            #expect(postgres.foreignKeys.subtracting(sqlite.foreignKeys).sorted() == [], "foreign keys only in PostgreSQL")
        }
    }
}
