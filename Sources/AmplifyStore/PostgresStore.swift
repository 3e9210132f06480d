import AmplifyCore
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// The store for several nodes: one PostgreSQL database that every amplify-local node shares.
///
/// The schema is SQLite's (`SQLiteStore`): rows with key columns and JSON documents, the same invariants
/// held by the same constraints. What several writers add:
/// - A transaction locks (`FOR NO KEY UPDATE`) each row it will change when it reads it, so no change is
///   lost between nodes, always in the same order: app, then branch, then job. Creating or removing what
///   is under an app (branches, webhooks, domains…) locks the app, so names and quotas hold; StartJob
///   locks the branch (its job counter), so ids count up without gaps; a job's own changes lock the job.
///   Claims and leases lock job rows only, skipping locked ones.
/// - A transaction the server aborts (a deadlock, a serialization failure, a unique key that a concurrent
///   writer took first) runs again from the start.
///
/// A `Service`: its connection pool runs in the server's service group.
public final class PostgresStore: Store, Service {
    let client: PostgresClient
    let quotas: Quotas
    let location: PostgresLocation
    let logger: Logger

    /// Connects to the database at `location` and brings its schema up to date; several nodes may do
    /// this at once (they take turns on an advisory lock). Queries wait until `run()` runs the pool.
    /// Called when a transaction runs again (PostgreSQL aborted it for a concurrent one): the server counts them.
    let onRetry: @Sendable () -> Void

    public init(location: PostgresLocation, quotas: Quotas = Quotas(), logger: Logger, onRetry: @escaping @Sendable () -> Void = {}) async throws {
        self.onRetry = onRetry
        self.quotas = quotas
        self.location = location
        self.logger = logger
        do {
            try await Self.migrate(location, logger: logger)
        } catch {
            throw Unavailable(location: location, error: error)
        }
        self.client = PostgresClient(configuration: location.clientConfiguration, backgroundLogger: logger)
    }

    /// The database could not be reached or migrated at start.
    public struct Unavailable: Error, CustomStringConvertible {
        var location: PostgresLocation
        var error: any Error

        public var description: String {
            // PSQLError's description hides the server's message; its reflection shows it (never the password).
            "Could not open the PostgreSQL database \(self.location): \(String(reflecting: self.error))"
        }
    }

    public func run() async {
        await self.client.run()
    }

    /// The logger queries log to (PostgresNIO logs each at debug level).
    static let queryLogger = Logger(label: "amplify-local.postgres")

    /// One write transaction, run again when PostgreSQL aborts it for a concurrent one.
    func write<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await self.client.withTransaction(logger: Self.queryLogger) { connection in try await body(connection) }
            } catch let error as PostgresTransactionError {
                let cause = error.closureError ?? error.commitError ?? error.beginError ?? error
                if attempt < 8, Self.isRetryable(cause) {
                    attempt += 1
                    self.onRetry()
                    continue
                }
                throw cause
            }
        }
    }

    /// Reads on one connection (several queries, each seeing what was committed when it ran).
    func read<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await self.client.withConnection { connection in try await body(connection) }
    }

    /// Deadlocks, serialization failures and unique keys taken by a concurrent transaction.
    private static func isRetryable(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] else { return false }
        return ["40001", "40P01", "23505"].contains(state)
    }

    // MARK: Migrations

    /// The schema's versions, applied in order, each once; the numbers are kept in `schema_version`.
    static let migrations: [(version: Int, sql: String)] = [
        (
            1,
            """
            CREATE TABLE app (
                seq BIGSERIAL PRIMARY KEY,
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                appId TEXT NOT NULL,
                document BYTEA NOT NULL,
                UNIQUE (account, region, appId)
            );
            CREATE INDEX app_list ON app (account, region, seq);
            CREATE INDEX app_by_id ON app (appId);
            CREATE TABLE app_count (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                apps INTEGER NOT NULL,
                PRIMARY KEY (account, region)
            );
            CREATE TABLE branch (
                seq BIGSERIAL PRIMARY KEY,
                appSeq BIGINT NOT NULL REFERENCES app (seq) ON DELETE CASCADE,
                branchName TEXT NOT NULL,
                document BYTEA NOT NULL,
                UNIQUE (appSeq, branchName)
            );
            CREATE INDEX branch_list ON branch (appSeq, seq);
            CREATE TABLE job (
                seq BIGSERIAL PRIMARY KEY,
                branchSeq BIGINT NOT NULL REFERENCES branch (seq) ON DELETE CASCADE,
                jobId BIGINT NOT NULL,
                status TEXT NOT NULL,
                jobType TEXT NOT NULL,
                commitId TEXT NOT NULL,
                commitMessage TEXT NOT NULL,
                commitTime DOUBLE PRECISION NOT NULL,
                startTime DOUBLE PRECISION NOT NULL,
                endTime DOUBLE PRECISION,
                jobReason TEXT,
                sourceUrl TEXT,
                sourceUrlType TEXT,
                statusReason TEXT,
                tags BYTEA,
                node TEXT,
                leaseExpires DOUBLE PRECISION,
                UNIQUE (branchSeq, jobId)
            );
            CREATE UNIQUE INDEX job_one_active_per_branch ON job (branchSeq) WHERE status IN (\(JobStatus.activeSQL));
            CREATE INDEX job_queue ON job (status, seq);
            CREATE INDEX job_node ON job (node) WHERE status IN (\(JobStatus.claimedSQL));
            CREATE TABLE job_step (
                jobSeq BIGINT NOT NULL REFERENCES job (seq) ON DELETE CASCADE,
                position INTEGER NOT NULL,
                stepName TEXT NOT NULL,
                status TEXT NOT NULL,
                startTime DOUBLE PRECISION NOT NULL,
                endTime DOUBLE PRECISION,
                statusReason TEXT,
                PRIMARY KEY (jobSeq, position)
            );
            CREATE TABLE job_log_chunk (
                seq BIGSERIAL PRIMARY KEY,
                jobSeq BIGINT NOT NULL REFERENCES job (seq) ON DELETE CASCADE,
                step TEXT NOT NULL,
                content TEXT NOT NULL
            );
            CREATE INDEX job_log_chunk_step ON job_log_chunk (jobSeq, step, seq);
            CREATE TABLE webhook (
                seq BIGSERIAL PRIMARY KEY,
                webhookId TEXT NOT NULL UNIQUE,
                appSeq BIGINT NOT NULL REFERENCES app (seq) ON DELETE CASCADE,
                branchSeq BIGINT NOT NULL REFERENCES branch (seq) ON DELETE CASCADE,
                description TEXT NOT NULL,
                token TEXT NOT NULL,
                createTime DOUBLE PRECISION NOT NULL,
                updateTime DOUBLE PRECISION NOT NULL
            );
            CREATE INDEX webhook_list ON webhook (appSeq, seq);
            CREATE TABLE backend_environment (
                seq BIGSERIAL PRIMARY KEY,
                appSeq BIGINT NOT NULL REFERENCES app (seq) ON DELETE CASCADE,
                environmentName TEXT NOT NULL,
                stackName TEXT NOT NULL,
                deploymentArtifacts TEXT NOT NULL,
                createTime DOUBLE PRECISION NOT NULL,
                updateTime DOUBLE PRECISION NOT NULL,
                UNIQUE (appSeq, environmentName)
            );
            CREATE TABLE domain_association (
                seq BIGSERIAL PRIMARY KEY,
                appSeq BIGINT NOT NULL REFERENCES app (seq) ON DELETE CASCADE,
                domainName TEXT NOT NULL,
                document BYTEA NOT NULL,
                UNIQUE (appSeq, domainName)
            );
            CREATE INDEX domain_association_name ON domain_association (domainName);
            """
        ),
        (
            2,
            // Where each chunk ends in its step's log, so a client following the log reads only what is new.
            """
            ALTER TABLE job_log_chunk ADD COLUMN endOffset BIGINT NOT NULL DEFAULT 0;
            UPDATE job_log_chunk SET endOffset = totals.endOffset FROM (
                SELECT seq, SUM(octet_length(content)) OVER (PARTITION BY jobSeq, step ORDER BY seq) AS endOffset FROM job_log_chunk
            ) AS totals WHERE totals.seq = job_log_chunk.seq;
            CREATE INDEX job_log_chunk_end ON job_log_chunk (jobSeq, step, endOffset)
            """
        ),
        (
            3,
            // The refs last read from each app's repository, and which node reads it until when (RepositoryFollower).
            """
            CREATE TABLE repository_follow (
                appSeq BIGINT PRIMARY KEY REFERENCES app (seq) ON DELETE CASCADE,
                repository TEXT NOT NULL,
                refs BYTEA,
                node TEXT,
                leaseExpires DOUBLE PRECISION
            )
            """
        ),
        (
            4,
            // The files a job's TEST step collected (ListArtifacts, GetArtifactUrl; the files are on disk).
            """
            CREATE TABLE job_artifact (
                seq BIGSERIAL PRIMARY KEY,
                jobSeq BIGINT NOT NULL REFERENCES job (seq) ON DELETE CASCADE,
                artifactId TEXT NOT NULL UNIQUE,
                fileName TEXT NOT NULL,
                bytes BIGINT NOT NULL,
                kind TEXT NOT NULL
            );
            CREATE INDEX job_artifact_job ON job_artifact (jobSeq, seq)
            """
        ),
        (
            5,
            // Secrets builds get, sealed by the server (the store never holds a value in plain text); branchName '' is the app's.
            """
            CREATE TABLE build_secret (
                appSeq BIGINT NOT NULL REFERENCES app (seq) ON DELETE CASCADE,
                branchName TEXT NOT NULL,
                name TEXT NOT NULL,
                sealed BYTEA NOT NULL,
                updatedAt DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (appSeq, branchName, name)
            )
            """
        ),
        (
            6,
            // The key of URL signatures and sealed secrets, for every node of the database (see `serverKey(proposed:)`).
            "CREATE TABLE server_key (name TEXT PRIMARY KEY, value BYTEA NOT NULL)"
        ),
    ]

    /// Applies the migrations the database lacks, in one transaction under an advisory lock: a node that
    /// starts while another migrates waits, then finds the work done.
    static func migrate(_ location: PostgresLocation, logger: Logger) async throws {
        try await self.transaction(location, logger: logger) { connection in
            try await connection.run("SELECT pg_advisory_xact_lock(\(Self.migrationLock))")
            try await connection.run("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, appliedAt DOUBLE PRECISION NOT NULL)")
            let current = try await connection.row("SELECT COALESCE(MAX(version), 0) FROM schema_version")?.decode(Int.self) ?? 0
            for migration in migrations where migration.version > current {
                // One statement per query: the extended protocol takes no more.
                for statement in migration.sql.split(separator: ";") where !statement.allSatisfy(\.isWhitespace) {
                    try await connection.run(PostgresQuery(unsafeSQL: String(statement)))
                }
                try await connection.run("INSERT INTO schema_version (version, appliedAt) VALUES (\(migration.version), \(Date().timeIntervalSince1970))")
                logger.notice("Migrated the PostgreSQL schema", metadata: ["version": "\(migration.version)"])
            }
        }
    }

    /// One transaction on a connection of its own, outside the pool: it works before the pool runs (at start).
    static func transaction(
        _ location: PostgresLocation, logger: Logger, _ body: (PostgresConnection) async throws -> Void
    ) async throws {
        let connection = try await PostgresConnection.connect(configuration: try location.connectionConfiguration, id: 0, logger: logger)
        do {
            try await connection.withTransaction(logger: queryLogger) { connection in try await body(connection) }
        } catch let error as PostgresTransactionError {
            try? await connection.close()
            throw error.closureError ?? error.commitError ?? error.beginError ?? error
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }

    /// The advisory lock migrations hold (any number the database's other users are unlikely to pick).
    private static let migrationLock: Int64 = 0x616D_706C_6966_79

    // MARK: Apps

    public func createApp(_ app: App) async throws {
        let document = try Documents.encode(app)
        try await self.write { connection in
            // A counter, not COUNT(*): creating an app must not cost more as apps pile up. Its row also
            // makes concurrent creations in one account and region take turns.
            let apps = try await connection.row(
                """
                INSERT INTO app_count (account, region, apps) VALUES (\(app.scope.account), \(app.scope.region), 1)
                ON CONFLICT (account, region) DO UPDATE SET apps = app_count.apps + 1 RETURNING apps
                """
            )?.decode(Int.self) ?? 0
            try App.requireCreatable(count: apps - 1, quotas: self.quotas)
            try await connection.run(
                "INSERT INTO app (account, region, appId, document) VALUES (\(app.scope.account), \(app.scope.region), \(app.appId), \(document))"
            )
        }
    }

    public func app(_ scope: Scope, appId: String) async throws -> App {
        try await self.read { connection in try await Self.appRow(connection, scope, appId).app }
    }

    public func listApps(_ scope: Scope, after token: PageToken?, limit: Int) async throws -> Page<App> {
        let rows = try await self.client.query(
            """
            SELECT seq, document FROM app WHERE account = \(scope.account) AND region = \(scope.region) AND seq > \(token?.position ?? 0)
            ORDER BY seq LIMIT \(limit + 1)
            """,
            logger: Self.queryLogger
        ).collect()
        return try Self.documentPage(rows, App.self, limit: limit, list: .apps)
    }

    public func updateApp(_ scope: Scope, appId: String, _ update: @Sendable (inout App) throws -> Void) async throws -> App {
        try await self.write { connection in
            var (seq, app) = try await Self.appRow(connection, scope, appId, lock: true)
            try update(&app)
            try await Self.save(connection, app, seq: seq)
            return app
        }
    }

    public func deleteApp(_ scope: Scope, appId: String) async throws -> App {
        try await self.write { connection in
            let (seq, app) = try await Self.appRow(connection, scope, appId, lock: true)
            try await connection.run("DELETE FROM app WHERE seq = \(seq)")
            try await connection.run("UPDATE app_count SET apps = apps - 1 WHERE account = \(scope.account) AND region = \(scope.region)")
            return app
        }
    }

    // MARK: Branches

    public func createBranch(_ branch: Branch) async throws {
        let document = try Documents.encode(branch)
        try await self.write { connection in
            let appSeq = try await Self.appRow(connection, branch.scope, branch.appId, lock: true).seq
            let nameTaken = try await connection.row("SELECT 1 FROM branch WHERE appSeq = \(appSeq) AND branchName = \(branch.branchName)") != nil
            try branch.requireCreatable(
                nameTaken: nameTaken, count: try await Self.count(connection, "branch", appSeq: appSeq, upTo: self.quotas.branchesPerApp),
                quotas: self.quotas
            )
            try await connection.run("INSERT INTO branch (appSeq, branchName, document) VALUES (\(appSeq), \(branch.branchName), \(document))")
        }
    }

    public func branch(_ scope: Scope, appId: String, branchName: String) async throws -> Branch {
        try await self.read { connection in try await Self.branchRow(connection, scope, appId, branchName).branch }
    }

    public func listBranches(_ scope: Scope, appId: String, after token: PageToken?, limit: Int) async throws -> Page<Branch> {
        try await self.read { connection in
            try await Self.documentPage(
                connection, Branch.self, table: "branch", appSeq: Self.appSeq(connection, scope, appId), after: token, limit: limit, list: .branches
            )
        }
    }

    public func updateBranch(
        _ scope: Scope, appId: String, branchName: String, _ update: @Sendable (inout Branch) throws -> Void
    ) async throws -> Branch {
        try await self.write { connection in
            var (seq, branch) = try await Self.branchRow(connection, scope, appId, branchName, lock: true)
            try update(&branch)
            try await Self.save(connection, branch, seq: seq)
            return branch
        }
    }

    public func deleteBranch(_ scope: Scope, appId: String, branchName: String) async throws -> Branch {
        try await self.write { connection in
            let (appSeq, app) = try await Self.appRow(connection, scope, appId, lock: true)
            let (seq, branch) = try await Self.branchRow(connection, scope, appId, branchName, lock: true)
            let deletion = BranchDeletion(
                deleting: branchName, from: app, domainAssociations: try await Self.domainAssociations(connection, appSeq: appSeq),
                secrets: try await Self.secrets(connection, scope, appId, appSeq: appSeq).map(\.secret)
            )
            try await connection.run("DELETE FROM branch WHERE seq = \(seq)")
            for domain in deletion.domainAssociations { try await Self.save(connection, domain, appSeq: appSeq) }
            for secret in deletion.secrets { _ = try await Self.delete(connection, secret, appSeq: appSeq) }
            if let app = deletion.app { try await Self.save(connection, app, seq: appSeq) }
            return branch
        }
    }

    public func reset() async throws {
        try await self.write { connection in
            try await connection.run("DELETE FROM app")
            try await connection.run("DELETE FROM app_count")
        }
    }

    // MARK: Rows

    /// The app and its row id, or NotFoundException; with `lock`, the row stays locked to the transaction's end.
    static func appRow(_ connection: PostgresConnection, _ scope: Scope, _ appId: String, lock: Bool = false) async throws -> (seq: Int64, app: App) {
        let row = try await connection.row(
            """
            SELECT seq, document FROM app WHERE account = \(scope.account) AND region = \(scope.region) AND appId = \(appId)
            \(unescaped: lock ? "FOR NO KEY UPDATE" : "")
            """
        )
        guard let (seq, document) = try row?.decode((Int64, Data).self) else { throw AmplifyError.appNotFound(appId) }
        return (seq, try Documents.decode(App.self, from: document))
    }

    /// The app's row id, without reading its document.
    static func appSeq(_ connection: PostgresConnection, _ scope: Scope, _ appId: String) async throws -> Int64 {
        let row = try await connection.row("SELECT seq FROM app WHERE account = \(scope.account) AND region = \(scope.region) AND appId = \(appId)")
        guard let seq = try row?.decode(Int64.self) else { throw AmplifyError.appNotFound(appId) }
        return seq
    }

    /// The branch and its row id, or NotFoundException for it or its app; with `lock`, the row stays locked
    /// to the transaction's end.
    static func branchRow(
        _ connection: PostgresConnection, _ scope: Scope, _ appId: String, _ branchName: String, lock: Bool = false
    ) async throws -> (seq: Int64, branch: Branch) {
        let row = try await connection.row(
            """
            SELECT branch.seq, branch.document FROM app JOIN branch ON branch.appSeq = app.seq
            WHERE app.account = \(scope.account) AND app.region = \(scope.region) AND app.appId = \(appId) AND branch.branchName = \(branchName)
            \(unescaped: lock ? "FOR NO KEY UPDATE OF branch" : "")
            """
        )
        guard let (seq, document) = try row?.decode((Int64, Data).self) else { throw try await missing(connection, scope, appId, branchName) }
        return (seq, try Documents.decode(Branch.self, from: document))
    }

    /// The branch's row id, without reading its document.
    static func branchSeq(_ connection: PostgresConnection, _ scope: Scope, _ appId: String, _ branchName: String) async throws -> Int64 {
        let row = try await connection.row(
            """
            SELECT branch.seq FROM app JOIN branch ON branch.appSeq = app.seq
            WHERE app.account = \(scope.account) AND app.region = \(scope.region) AND app.appId = \(appId) AND branch.branchName = \(branchName)
            """
        )
        guard let seq = try row?.decode(Int64.self) else { throw try await missing(connection, scope, appId, branchName) }
        return seq
    }

    /// Which of app and branch is missing, as the error the client gets (thrown for the app).
    static func missing(_ connection: PostgresConnection, _ scope: Scope, _ appId: String, _ branchName: String) async throws -> AmplifyError {
        _ = try await appSeq(connection, scope, appId)
        return .branchNotFound(branchName)
    }

    static func save(_ connection: PostgresConnection, _ app: App, seq: Int64) async throws {
        try await connection.run("UPDATE app SET document = \(try Documents.encode(app)) WHERE seq = \(seq)")
    }

    static func save(_ connection: PostgresConnection, _ branch: Branch, seq: Int64) async throws {
        try await connection.run("UPDATE branch SET document = \(try Documents.encode(branch)) WHERE seq = \(seq)")
    }

    /// How many rows of `table` the app has, counting no further than `limit` (a quota).
    static func count(_ connection: PostgresConnection, _ table: String, appSeq: Int64, upTo limit: Int) async throws -> Int {
        try await connection.row(
            "SELECT COUNT(*) FROM (SELECT 1 FROM \(unescaped: table) WHERE appSeq = \(appSeq) LIMIT \(limit)) AS counted"
        )?.decode(Int.self) ?? 0
    }

    /// A page of the app's rows of a table that keeps documents, in creation order.
    static func documentPage<T: Decodable & Sendable>(
        _ connection: PostgresConnection, _ type: T.Type, table: String, appSeq: Int64, after token: PageToken?, limit: Int, list: PageToken.List
    ) async throws -> Page<T> {
        let rows = try await connection.rows(
            """
            SELECT seq, document FROM \(unescaped: table) WHERE appSeq = \(appSeq) AND seq > \(token?.position ?? 0)
            ORDER BY seq LIMIT \(limit + 1)
            """
        )
        return try documentPage(rows, T.self, limit: limit, list: list)
    }

    /// A page from `(seq, document)` rows fetched with one row more than `limit`.
    static func documentPage<T: Decodable & Sendable>(_ rows: [PostgresRow], _ type: T.Type, limit: Int, list: PageToken.List) throws -> Page<T> {
        let items = try rows.map { row in
            let (seq, document) = try row.decode((Int64, Data).self)
            return (seq, try Documents.decode(T.self, from: document))
        }
        return Page(fetched: items, limit: limit, list: list)
    }
}
