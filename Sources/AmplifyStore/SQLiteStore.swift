import AmplifyCore
import Foundation
import GRDB

/// The default store: one SQLite file in WAL mode (or memory), through GRDB.
///
/// Every resource is a row with its key columns and a JSON document of the domain value; the
/// schema holds the invariants (unique names, cascading deletes, one active job per branch).
public final class SQLiteStore: Store {
    private let database: any DatabaseWriter
    /// Syncs the WAL before a write returns; nil in memory.
    private let groupCommit: GroupCommit?

    /// Opens (creating if needed) the database file at `path`, or an in-memory database when nil.
    ///
    /// Every write use case returns only once its transaction is on disk (see `GroupCommit`).
    public init(path: String?) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.prepareDatabase { db in
            // Commits write the WAL without syncing it; GroupCommit syncs it before a write is acknowledged.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
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
    private func write<T: Sendable>(_ updates: @Sendable (Database) throws -> T) async throws -> T {
        let value = try await self.database.write(updates)
        try await self.groupCommit?.sync()
        return value
    }

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
                    document BLOB NOT NULL,
                    UNIQUE (branchSeq, jobId)
                );
                CREATE UNIQUE INDEX job_one_active_per_branch ON job (branchSeq)
                    WHERE status IN ('CREATED', 'PENDING', 'PROVISIONING', 'RUNNING', 'CANCELLING');
                CREATE INDEX job_queue ON job (status, seq);
                CREATE TABLE job_log (
                    jobSeq INTEGER NOT NULL REFERENCES job (seq) ON DELETE CASCADE,
                    step TEXT NOT NULL,
                    content TEXT NOT NULL,
                    PRIMARY KEY (jobSeq, step)
                );
                """)
        }
        return migrator
    }

    // MARK: Apps

    public func createApp(_ app: App) async throws {
        let document = try Documents.encode(app)
        try await self.write { db in
            try db.execute(
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
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT seq, document FROM app WHERE account = ? AND region = ? AND seq > ? ORDER BY seq LIMIT ?",
                arguments: [scope.account, scope.region, token?.position ?? 0, limit + 1]
            )
            return try Self.page(rows, limit: limit, list: "apps", decode: App.self)
        }
    }

    public func updateApp(_ scope: Scope, appId: String, _ update: @Sendable (inout App) throws -> Void) async throws -> App {
        try await self.write { db in
            var (seq, app) = try Self.appRow(db, scope, appId)
            try update(&app)
            try db.execute(sql: "UPDATE app SET document = ? WHERE seq = ?", arguments: [try Documents.encode(app), seq])
            return app
        }
    }

    public func deleteApp(_ scope: Scope, appId: String) async throws -> App {
        try await self.write { db in
            let (seq, app) = try Self.appRow(db, scope, appId)
            try db.execute(sql: "DELETE FROM app WHERE seq = ?", arguments: [seq])
            return app
        }
    }

    // MARK: Branches

    public func createBranch(_ branch: Branch) async throws {
        let document = try Documents.encode(branch)
        try await self.write { db in
            let (appSeq, _) = try Self.appRow(db, branch.scope, branch.appId)
            let exists = try Bool.fetchOne(
                db, sql: "SELECT 1 FROM branch WHERE appSeq = ? AND branchName = ?", arguments: [appSeq, branch.branchName]
            ) ?? false
            if exists {
                throw AmplifyError.badRequest("Branch \(branch.branchName) already exists.")
            }
            try db.execute(
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
            let (appSeq, _) = try Self.appRow(db, scope, appId)
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT seq, document FROM branch WHERE appSeq = ? AND seq > ? ORDER BY seq LIMIT ?",
                arguments: [appSeq, token?.position ?? 0, limit + 1]
            )
            return try Self.page(rows, limit: limit, list: "branches", decode: Branch.self)
        }
    }

    public func updateBranch(
        _ scope: Scope, appId: String, branchName: String, _ update: @Sendable (inout Branch) throws -> Void
    ) async throws -> Branch {
        try await self.write { db in
            var (seq, branch) = try Self.branchRow(db, scope, appId, branchName)
            try update(&branch)
            try db.execute(sql: "UPDATE branch SET document = ? WHERE seq = ?", arguments: [try Documents.encode(branch), seq])
            return branch
        }
    }

    public func deleteBranch(_ scope: Scope, appId: String, branchName: String) async throws -> Branch {
        try await self.write { db in
            let (seq, branch) = try Self.branchRow(db, scope, appId, branchName)
            try db.execute(sql: "DELETE FROM branch WHERE seq = ?", arguments: [seq])
            return branch
        }
    }

    // MARK: Jobs

    public func startJob(_ scope: Scope, appId: String, branchName: String, _ request: JobRequest, now: Date) async throws -> Job {
        try await self.write { db in
            let (appSeq, app) = try Self.appRow(db, scope, appId)
            var (branchSeq, branch) = try Self.branchRow(db, appSeq: appSeq, appId: appId, branchName)
            var retried: Job?
            if request.jobType == .retry, let retriedId = request.jobId {
                retried = try Self.jobRow(db, branchSeq: branchSeq, jobId: retriedId)?.job
            }
            let jobId = branch.totalNumberOfJobs + 1
            let job = try request.makeJob(app: app, branch: branch, jobId: jobId, retried: retried, now: now)
            let active = try Bool.fetchOne(
                db,
                sql: "SELECT 1 FROM job WHERE branchSeq = ? AND status IN (\(Self.activeStatuses))",
                arguments: [branchSeq]
            ) ?? false
            if active {
                throw AmplifyError.limitExceeded("The requested branch \(branchName) already have pending or running jobs")
            }
            try db.execute(
                sql: "INSERT INTO job (branchSeq, jobId, status, document) VALUES (?, ?, ?, ?)",
                arguments: [branchSeq, jobId, job.status.rawValue, try Documents.encode(job)]
            )
            branch.totalNumberOfJobs = jobId
            branch.activeJobId = jobId
            try db.execute(sql: "UPDATE branch SET document = ? WHERE seq = ?", arguments: [try Documents.encode(branch), branchSeq])
            return job
        }
    }

    public func job(_ key: JobKey) async throws -> Job {
        try await self.database.read { db in try Self.jobRow(db, key).job }
    }

    public func listJobs(_ scope: Scope, appId: String, branchName: String, after token: PageToken?, limit: Int) async throws -> Page<Job> {
        try await self.database.read { db in
            let (branchSeq, _) = try Self.branchRow(db, scope, appId, branchName)
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT jobId AS seq, document FROM job WHERE branchSeq = ? AND jobId < ? ORDER BY jobId DESC LIMIT ?",
                arguments: [branchSeq, token?.position ?? Int64.max, limit + 1]
            )
            return try Self.page(rows, limit: limit, list: "jobs", decode: Job.self)
        }
    }

    public func updateJob(_ key: JobKey, _ update: @Sendable (inout Job) throws -> Void) async throws -> Job {
        try await self.write { db in
            var (seq, job) = try Self.jobRow(db, key)
            try update(&job)
            try Self.saveJob(db, seq: seq, job)
            return job
        }
    }

    public func deleteFinishedJob(_ key: JobKey) async throws -> Job {
        try await self.write { db in
            let (seq, job) = try Self.jobRow(db, key)
            try job.requireDeletable()
            try db.execute(sql: "DELETE FROM job WHERE seq = ?", arguments: [seq])
            return job
        }
    }

    public func claimNextPendingJob(now: Date) async throws -> Job? {
        try await self.write { db in
            guard
                let row = try Row.fetchOne(db, sql: "SELECT seq, document FROM job WHERE status = 'PENDING' ORDER BY seq LIMIT 1")
            else { return nil }
            var job = try Documents.decode(Job.self, from: row["document"])
            try job.apply(.claim, at: now)
            try Self.saveJob(db, seq: row["seq"], job)
            return job
        }
    }

    public func finishInterruptedJobs(reason: String, now: Date) async throws -> Int {
        try await self.write { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT seq, document FROM job WHERE status IN ('PROVISIONING', 'RUNNING', 'CANCELLING')"
            )
            for row in rows {
                var job = try Documents.decode(Job.self, from: row["document"])
                if job.status == .cancelling {
                    try job.apply(.cancelled, at: now)
                } else {
                    try job.apply(.fail, at: now, reason: reason)
                }
                try Self.saveJob(db, seq: row["seq"], job)
            }
            return rows.count
        }
    }

    // MARK: Logs

    public func appendLog(_ key: JobKey, step: String, text: String) async throws {
        try await self.write { db in
            let (seq, _) = try Self.jobRow(db, key)
            try db.execute(
                sql: """
                    INSERT INTO job_log (jobSeq, step, content) VALUES (?, ?, ?)
                    ON CONFLICT (jobSeq, step) DO UPDATE SET content = content || excluded.content
                    """,
                arguments: [seq, step, text]
            )
        }
    }

    public func log(_ key: JobKey, step: String) async throws -> String? {
        try await self.database.read { db in
            guard let (seq, _) = try? Self.jobRow(db, key) else { return nil }
            return try String.fetchOne(db, sql: "SELECT content FROM job_log WHERE jobSeq = ? AND step = ?", arguments: [seq, step])
        }
    }

    public func reset() async throws {
        try await self.write { db in
            try db.execute(sql: "DELETE FROM app")
        }
    }

    // MARK: Rows

    private static let activeStatuses = JobStatus.active.map { "'\($0.rawValue)'" }.joined(separator: ", ")

    private static func appRow(_ db: Database, _ scope: Scope, _ appId: String) throws -> (seq: Int64, app: App) {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT seq, document FROM app WHERE account = ? AND region = ? AND appId = ?",
                arguments: [scope.account, scope.region, appId]
            )
        else { throw AmplifyError.appNotFound(appId) }
        return (row["seq"], try Documents.decode(App.self, from: row["document"]))
    }

    private static func branchRow(_ db: Database, _ scope: Scope, _ appId: String, _ branchName: String) throws -> (seq: Int64, branch: Branch) {
        let (appSeq, _) = try appRow(db, scope, appId)
        return try branchRow(db, appSeq: appSeq, appId: appId, branchName)
    }

    private static func branchRow(_ db: Database, appSeq: Int64, appId: String, _ branchName: String) throws -> (seq: Int64, branch: Branch) {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT seq, document FROM branch WHERE appSeq = ? AND branchName = ?", arguments: [appSeq, branchName]
            )
        else { throw AmplifyError.branchNotFound(branchName) }
        return (row["seq"], try Documents.decode(Branch.self, from: row["document"]))
    }

    private static func jobRow(_ db: Database, _ key: JobKey) throws -> (seq: Int64, job: Job) {
        let (branchSeq, _) = try branchRow(db, key.scope, key.appId, key.branchName)
        guard let found = try jobRow(db, branchSeq: branchSeq, jobId: key.jobId) else {
            throw AmplifyError.jobNotFound(String(key.jobId))
        }
        return found
    }

    private static func jobRow(_ db: Database, branchSeq: Int64, jobId: Int) throws -> (seq: Int64, job: Job)? {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT seq, document FROM job WHERE branchSeq = ? AND jobId = ?", arguments: [branchSeq, jobId]
            )
        else { return nil }
        return (row["seq"], try Documents.decode(Job.self, from: row["document"]))
    }

    private static func saveJob(_ db: Database, seq: Int64, _ job: Job) throws {
        try db.execute(
            sql: "UPDATE job SET status = ?, document = ? WHERE seq = ?",
            arguments: [job.status.rawValue, try Documents.encode(job), seq]
        )
    }

    private static func page<T: Decodable & Sendable>(_ rows: [Row], limit: Int, list: String, decode: T.Type) throws -> Page<T> {
        let items = try rows.prefix(limit).map { try Documents.decode(T.self, from: $0["document"]) }
        let next = rows.count > limit ? PageToken(list: list, position: rows[limit - 1]["seq"]).encoded : nil
        return Page(items: items, nextToken: next)
    }
}
