import AmplifyCore
import Foundation
import GRDB

/// The default store: one SQLite file in WAL mode (or memory), through GRDB.
///
/// Every resource is a row with its key columns and a JSON document of the domain value; the
/// schema holds the invariants (unique names, cascading deletes, one active job per branch).
public final class SQLiteStore: Store {
    let database: any DatabaseWriter
    /// Syncs the WAL before a write returns; nil in memory.
    private let groupCommit: GroupCommit?
    let quotas: Quotas

    /// Opens (creating if needed) the database file at `path`, or an in-memory database when nil.
    ///
    /// Every write use case returns only once its transaction is on disk (see `GroupCommit`).
    public init(path: String?, quotas: Quotas = Quotas()) throws {
        self.quotas = quotas
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.prepareDatabase { db in
            // Commits write the WAL without syncing it; GroupCommit syncs it before a write is acknowledged.
            try db.cachedExecute(sql: "PRAGMA synchronous = NORMAL")
        }
        if let path {
            self.database = try DatabasePool(path: path, configuration: configuration)
        } else {
            self.database = try DatabaseQueue(configuration: configuration)
        }
        try Self.migrator.migrate(self.database)
        self.groupCommit = try path.map { try GroupCommit(databasePath: $0) }
    }

    /// One write transaction, durable when it returns.
    func write<T: Sendable>(_ updates: @Sendable (Database) throws -> T) async throws -> T {
        defer { self.sites.invalidate() }
        let value = try await self.database.write(updates)
        try await self.groupCommit?.sync()
        return value
    }

    /// Site lookups (every request to a site makes one), kept until the next write.
    let sites = SiteLookupCache()

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE app (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    account TEXT NOT NULL,
                    region TEXT NOT NULL,
                    appId TEXT NOT NULL,
                    document BLOB NOT NULL,
                    UNIQUE (account, region, appId)
                );
                CREATE INDEX app_list ON app (account, region, seq);
                CREATE TABLE branch (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    appSeq INTEGER NOT NULL REFERENCES app (seq) ON DELETE CASCADE,
                    branchName TEXT NOT NULL,
                    document BLOB NOT NULL,
                    UNIQUE (appSeq, branchName)
                );
                CREATE INDEX branch_list ON branch (appSeq, seq);
                CREATE TABLE job (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    branchSeq INTEGER NOT NULL REFERENCES branch (seq) ON DELETE CASCADE,
                    jobId INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    jobType TEXT NOT NULL,
                    commitId TEXT NOT NULL,
                    commitMessage TEXT NOT NULL,
                    commitTime REAL NOT NULL,
                    startTime REAL NOT NULL,
                    endTime REAL,
                    jobReason TEXT,
                    sourceUrl TEXT,
                    sourceUrlType TEXT,
                    statusReason TEXT,
                    UNIQUE (branchSeq, jobId)
                );
                CREATE UNIQUE INDEX job_one_active_per_branch ON job (branchSeq) WHERE status IN (\(JobStatus.activeSQL));
                CREATE INDEX job_queue ON job (status, seq);
                CREATE TABLE job_step (
                    jobSeq INTEGER NOT NULL REFERENCES job (seq) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    stepName TEXT NOT NULL,
                    status TEXT NOT NULL,
                    startTime REAL NOT NULL,
                    endTime REAL,
                    statusReason TEXT,
                    PRIMARY KEY (jobSeq, position)
                );
                CREATE TABLE job_log (
                    jobSeq INTEGER NOT NULL REFERENCES job (seq) ON DELETE CASCADE,
                    step TEXT NOT NULL,
                    content TEXT NOT NULL,
                    PRIMARY KEY (jobSeq, step)
                );
                """)
        }
        migrator.registerMigration("v2: webhooks, backend environments, job tags") { db in
            try db.execute(sql: """
                CREATE TABLE webhook (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    webhookId TEXT NOT NULL UNIQUE,
                    appSeq INTEGER NOT NULL REFERENCES app (seq) ON DELETE CASCADE,
                    branchSeq INTEGER NOT NULL REFERENCES branch (seq) ON DELETE CASCADE,
                    description TEXT NOT NULL,
                    token TEXT NOT NULL,
                    createTime REAL NOT NULL,
                    updateTime REAL NOT NULL
                );
                CREATE INDEX webhook_list ON webhook (appSeq, seq);
                CREATE TABLE backend_environment (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    appSeq INTEGER NOT NULL REFERENCES app (seq) ON DELETE CASCADE,
                    environmentName TEXT NOT NULL,
                    stackName TEXT NOT NULL,
                    deploymentArtifacts TEXT NOT NULL,
                    createTime REAL NOT NULL,
                    updateTime REAL NOT NULL,
                    UNIQUE (appSeq, environmentName)
                );
                ALTER TABLE job ADD COLUMN tags TEXT;
                """)
        }
        migrator.registerMigration("v3: domain associations") { db in
            try db.execute(sql: """
                CREATE TABLE domain_association (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    appSeq INTEGER NOT NULL REFERENCES app (seq) ON DELETE CASCADE,
                    domainName TEXT NOT NULL,
                    document BLOB NOT NULL,
                    UNIQUE (appSeq, domainName)
                );
                CREATE INDEX domain_association_name ON domain_association (domainName);
                """)
        }
        migrator.registerMigration("v4: app counts for the quota") { db in
            try db.execute(sql: """
                CREATE TABLE app_count (
                    account TEXT NOT NULL,
                    region TEXT NOT NULL,
                    apps INTEGER NOT NULL,
                    PRIMARY KEY (account, region)
                );
                INSERT INTO app_count (account, region, apps) SELECT account, region, COUNT(*) FROM app GROUP BY account, region;
                """)
        }
        migrator.registerMigration("v5: deployment uploads") { db in
            try db.execute(sql: """
                CREATE TABLE deployment_file (
                    jobSeq INTEGER NOT NULL REFERENCES job (seq) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    content BLOB NOT NULL,
                    PRIMARY KEY (jobSeq, name)
                );
                """)
        }
        migrator.registerMigration("v6: logs in chunks") { db in
            // Appending to one growing value rewrote the whole log at each write; a build writes its log in many pieces.
            try db.execute(sql: """
                CREATE TABLE job_log_chunk (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    jobSeq INTEGER NOT NULL REFERENCES job (seq) ON DELETE CASCADE,
                    step TEXT NOT NULL,
                    content TEXT NOT NULL
                );
                CREATE INDEX job_log_chunk_step ON job_log_chunk (jobSeq, step, seq);
                INSERT INTO job_log_chunk (jobSeq, step, content) SELECT jobSeq, step, content FROM job_log;
                DROP TABLE job_log;
                """)
        }
        migrator.registerMigration("v7: uploads on disk") { db in
            // Deployment uploads are streamed to files under the data directory (SiteFiles).
            try db.execute(sql: "DROP TABLE deployment_file")
            // Sites are found by the app id in their host name alone.
            try db.execute(sql: "CREATE INDEX app_by_id ON app (appId)")
        }
        migrator.registerMigration("v8: build leases") { db in
            // The node building a job and until when it holds it (see BuildRunner): a job whose lease ran out is abandoned.
            try db.execute(sql: "ALTER TABLE job ADD COLUMN node TEXT")
            try db.execute(sql: "ALTER TABLE job ADD COLUMN leaseExpires REAL")
        }
        migrator.registerMigration("v9: the schema PostgreSQL has") { db in
            // Found by SchemaTests: job tags are a JSON document (bytes, as elsewhere), and a node's jobs are found by an index.
            try db.execute(sql: """
                ALTER TABLE job ADD COLUMN tagsDocument BLOB;
                UPDATE job SET tagsDocument = CAST(tags AS BLOB);
                ALTER TABLE job DROP COLUMN tags;
                ALTER TABLE job RENAME COLUMN tagsDocument TO tags;
                CREATE INDEX job_node ON job (node) WHERE status IN (\(JobStatus.claimedSQL));
                """)
        }
        migrator.registerMigration("v10: log chunk offsets") { db in
            // Where each chunk ends in its step's log, so a client following the log reads only what is new.
            try db.execute(sql: """
                ALTER TABLE job_log_chunk ADD COLUMN endOffset INTEGER NOT NULL DEFAULT 0;
                UPDATE job_log_chunk SET endOffset = totals.endOffset FROM (
                    SELECT seq, SUM(length(CAST(content AS BLOB))) OVER (PARTITION BY jobSeq, step ORDER BY seq) AS endOffset FROM job_log_chunk
                ) AS totals WHERE totals.seq = job_log_chunk.seq;
                CREATE INDEX job_log_chunk_end ON job_log_chunk (jobSeq, step, endOffset);
                """)
        }
        migrator.registerMigration("v11: followed repositories") { db in
            // The refs last read from each app's repository, and which node reads it until when (RepositoryFollower).
            try db.execute(sql: """
                CREATE TABLE repository_follow (
                    appSeq INTEGER PRIMARY KEY REFERENCES app (seq) ON DELETE CASCADE,
                    repository TEXT NOT NULL,
                    refs BLOB,
                    node TEXT,
                    leaseExpires REAL
                );
                """)
        }
        migrator.registerMigration("v12: test artifacts") { db in
            // The files a job's TEST step collected (ListArtifacts, GetArtifactUrl; the files are on disk).
            try db.execute(sql: """
                CREATE TABLE job_artifact (
                    seq INTEGER PRIMARY KEY,
                    jobSeq INTEGER NOT NULL REFERENCES job (seq) ON DELETE CASCADE,
                    artifactId TEXT NOT NULL UNIQUE,
                    fileName TEXT NOT NULL,
                    bytes INTEGER NOT NULL,
                    kind TEXT NOT NULL
                );
                CREATE INDEX job_artifact_job ON job_artifact (jobSeq, seq);
                """)
        }
        migrator.registerMigration("v13: build secrets") { db in
            // Secrets builds get, sealed by the server (the store never holds a value in plain text); branchName '' is the app's.
            try db.execute(sql: """
                CREATE TABLE build_secret (
                    appSeq INTEGER NOT NULL REFERENCES app (seq) ON DELETE CASCADE,
                    branchName TEXT NOT NULL,
                    name TEXT NOT NULL,
                    sealed BLOB NOT NULL,
                    updatedAt REAL NOT NULL,
                    PRIMARY KEY (appSeq, branchName, name)
                );
                """)
        }
        migrator.registerMigration("v14: the server key") { db in
            // The key of URL signatures and sealed secrets, for every node of the store (see `serverKey(proposed:)`).
            try db.execute(sql: "CREATE TABLE server_key (name TEXT PRIMARY KEY, value BLOB NOT NULL);")
        }
        return migrator
    }

    // MARK: Apps

    public func createApp(_ app: App) async throws {
        let document = try Documents.encode(app)
        try await self.write { [quotas] db in
            // A counter, not COUNT(*): creating an app must not cost more as apps pile up.
            let apps = try db.cachedValue(
                Int.self,
                sql: """
                    INSERT INTO app_count (account, region, apps) VALUES (?, ?, 1)
                    ON CONFLICT (account, region) DO UPDATE SET apps = apps + 1 RETURNING apps
                    """,
                arguments: [app.scope.account, app.scope.region]
            ) ?? 0
            try App.requireCreatable(count: apps - 1, quotas: quotas)
            try db.cachedExecute(
                sql: "INSERT INTO app (account, region, appId, document) VALUES (?, ?, ?, ?)",
                arguments: [app.scope.account, app.scope.region, app.appId, document]
            )
        }
    }

    public func app(_ scope: Scope, appId: String) async throws -> App {
        try await self.database.read { db in try Self.appRow(db, scope, appId).app }
    }

    public func listApps(_ scope: Scope, after token: PageToken?, limit: Int) async throws -> Page<App> {
        try await self.database.read { db in
            let rows = try db.cachedRows(
                sql: "SELECT seq, document FROM app WHERE account = ? AND region = ? AND seq > ? ORDER BY seq LIMIT ?",
                arguments: [scope.account, scope.region, token?.position ?? 0, limit + 1]
            )
            return try Self.documentPage(rows, App.self, limit: limit, list: .apps)
        }
    }

    public func updateApp(_ scope: Scope, appId: String, _ update: @Sendable (inout App) throws -> Void) async throws -> App {
        try await self.write { db in
            var (seq, app) = try Self.appRow(db, scope, appId)
            try update(&app)
            try Self.save(db, app, seq: seq)
            return app
        }
    }

    public func deleteApp(_ scope: Scope, appId: String) async throws -> App {
        try await self.write { db in
            let (seq, app) = try Self.appRow(db, scope, appId)
            try db.cachedExecute(sql: "DELETE FROM app WHERE seq = ?", arguments: [seq])
            try db.cachedExecute(
                sql: "UPDATE app_count SET apps = apps - 1 WHERE account = ? AND region = ?", arguments: [scope.account, scope.region]
            )
            return app
        }
    }

    // MARK: Branches

    public func createBranch(_ branch: Branch) async throws {
        let document = try Documents.encode(branch)
        try await self.write { db in
            let appSeq = try Self.appSeq(db, branch.scope, branch.appId)
            let nameTaken = try db.cachedValue(Bool.self, sql: "SELECT 1 FROM branch WHERE appSeq = ? AND branchName = ?", arguments: [appSeq, branch.branchName]
            ) ?? false
            try branch.requireCreatable(
                nameTaken: nameTaken, count: Self.count(db, "branch", appSeq: appSeq, upTo: self.quotas.branchesPerApp), quotas: self.quotas
            )
            try db.cachedExecute(
                sql: "INSERT INTO branch (appSeq, branchName, document) VALUES (?, ?, ?)",
                arguments: [appSeq, branch.branchName, document]
            )
        }
    }

    public func branch(_ scope: Scope, appId: String, branchName: String) async throws -> Branch {
        try await self.database.read { db in try Self.branchRow(db, scope, appId, branchName).branch }
    }

    public func listBranches(_ scope: Scope, appId: String, after token: PageToken?, limit: Int) async throws -> Page<Branch> {
        try await self.database.read { db in
            try Self.documentPage(db, Branch.self, table: "branch", appSeq: Self.appSeq(db, scope, appId), after: token, limit: limit, list: .branches)
        }
    }

    public func updateBranch(
        _ scope: Scope, appId: String, branchName: String, _ update: @Sendable (inout Branch) throws -> Void
    ) async throws -> Branch {
        try await self.write { db in
            var (seq, branch) = try Self.branchRow(db, scope, appId, branchName)
            try update(&branch)
            try Self.save(db, branch, seq: seq)
            return branch
        }
    }

    public func deleteBranch(_ scope: Scope, appId: String, branchName: String) async throws -> Branch {
        try await self.write { db in
            let (appSeq, app) = try Self.appRow(db, scope, appId)
            let (seq, branch) = try Self.branchRow(db, scope, appId, branchName)
            let deletion = BranchDeletion(
                deleting: branchName, from: app, domainAssociations: try Self.domainAssociations(db, appSeq: appSeq),
                secrets: try Self.secrets(db, scope, appId, appSeq: appSeq).map(\.secret)
            )
            try db.cachedExecute(sql: "DELETE FROM branch WHERE seq = ?", arguments: [seq])
            for domain in deletion.domainAssociations { try Self.save(db, domain, appSeq: appSeq) }
            for secret in deletion.secrets { _ = try Self.delete(db, secret, appSeq: appSeq) }
            if let app = deletion.app { try Self.save(db, app, seq: appSeq) }
            return branch
        }
    }

    public func reset() async throws {
        try await self.write { db in
            try db.cachedExecute(sql: "DELETE FROM app")
            try db.cachedExecute(sql: "DELETE FROM app_count")
        }
    }

    // MARK: Rows

    static func save(_ db: Database, _ app: App, seq: Int64) throws {
        try db.cachedExecute(sql: "UPDATE app SET document = ? WHERE seq = ?", arguments: [try Documents.encode(app), seq])
    }

    static func save(_ db: Database, _ branch: Branch, seq: Int64) throws {
        try db.cachedExecute(sql: "UPDATE branch SET document = ? WHERE seq = ?", arguments: [try Documents.encode(branch), seq])
    }

    static func appRow(_ db: Database, _ scope: Scope, _ appId: String) throws -> (seq: Int64, app: App) {
        guard
            let row = try db.cachedRow(
                sql: "SELECT seq, document FROM app WHERE account = ? AND region = ? AND appId = ?",
                arguments: [scope.account, scope.region, appId]
            )
        else { throw AmplifyError.appNotFound(appId) }
        return (row["seq"], try Documents.decode(App.self, from: row["document"]))
    }

    /// The app's row id, without reading its document.
    static func appSeq(_ db: Database, _ scope: Scope, _ appId: String) throws -> Int64 {
        guard
            let seq = try db.cachedValue(Int64.self, sql: "SELECT seq FROM app WHERE account = ? AND region = ? AND appId = ?",
                arguments: [scope.account, scope.region, appId]
            )
        else { throw AmplifyError.appNotFound(appId) }
        return seq
    }

    static func branchRow(_ db: Database, _ scope: Scope, _ appId: String, _ branchName: String) throws -> (seq: Int64, branch: Branch) {
        guard
            let row = try db.cachedRow(
                sql: """
                    SELECT branch.seq, branch.document FROM app JOIN branch ON branch.appSeq = app.seq
                    WHERE app.account = ? AND app.region = ? AND app.appId = ? AND branch.branchName = ?
                    """,
                arguments: [scope.account, scope.region, appId, branchName]
            )
        else { throw try missing(db, scope, appId, branchName) }
        return (row["seq"], try Documents.decode(Branch.self, from: row["document"]))
    }

    /// The branch's row id, without reading its document.
    static func branchSeq(_ db: Database, _ scope: Scope, _ appId: String, _ branchName: String) throws -> Int64 {
        guard
            let seq = try db.cachedValue(Int64.self, sql: """
                    SELECT branch.seq FROM app JOIN branch ON branch.appSeq = app.seq
                    WHERE app.account = ? AND app.region = ? AND app.appId = ? AND branch.branchName = ?
                    """,
                arguments: [scope.account, scope.region, appId, branchName]
            )
        else { throw try missing(db, scope, appId, branchName) }
        return seq
    }

    /// Which of app and branch is missing, as the error the client gets (thrown for the app).
    static func missing(_ db: Database, _ scope: Scope, _ appId: String, _ branchName: String) throws -> AmplifyError {
        _ = try appSeq(db, scope, appId)
        return .branchNotFound(branchName)
    }

    /// How many rows of `table` the app has, counting no further than `limit` (a quota): the cost stays
    /// bounded however many there are.
    static func count(_ db: Database, _ table: String, appSeq: Int64, upTo limit: Int) throws -> Int {
        try db.cachedValue(
            Int.self, sql: "SELECT COUNT(*) FROM (SELECT 1 FROM \(table) WHERE appSeq = ? LIMIT ?)", arguments: [appSeq, limit]
        ) ?? 0
    }

    /// A page of the app's rows of a table that keeps documents, in creation order.
    static func documentPage<T: Decodable & Sendable>(
        _ db: Database, _ type: T.Type, table: String, appSeq: Int64, after token: PageToken?, limit: Int, list: PageToken.List
    ) throws -> Page<T> {
        let rows = try db.cachedRows(
            sql: "SELECT seq, document FROM \(table) WHERE appSeq = ? AND seq > ? ORDER BY seq LIMIT ?",
            arguments: [appSeq, token?.position ?? 0, limit + 1]
        )
        return try documentPage(rows, T.self, limit: limit, list: list)
    }

    /// A page from `(seq, document)` rows fetched with one row more than `limit`.
    static func documentPage<T: Decodable & Sendable>(_ rows: [Row], _ type: T.Type, limit: Int, list: PageToken.List) throws -> Page<T> {
        Page(fetched: try rows.map { ($0["seq"], try Documents.decode(T.self, from: $0["document"])) }, limit: limit, list: list)
    }
}
