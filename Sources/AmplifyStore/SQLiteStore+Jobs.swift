import AmplifyCore
import Foundation
import GRDB

/// Jobs and their logs. A job is a row of typed columns and its steps are rows of `job_step`, so
/// that lists read no JSON and a job's steps are read only where they are shown.
extension SQLiteStore {
    public func startJob(_ scope: Scope, appId: String, branchName: String, _ request: JobRequest, now: Date) async throws -> Job {
        try await self.write { db in
            let app = try Self.appRow(db, scope, appId).app
            var (branchSeq, branch) = try Self.branchRow(db, scope, appId, branchName)
            let retried = try request.retriedJobId.flatMap { jobId in
                try Self.jobRow(db, branchSeq: branchSeq, key: JobKey(scope: scope, appId: appId, branchName: branchName, jobId: jobId))?.job
            }
            let job = try branch.startJob(request, app: app, retried: retried, activeJobId: Self.activeJobId(db, branchSeq: branchSeq), now: now)
            try Self.insertJob(db, branchSeq: branchSeq, job)
            try Self.save(db, branch, seq: branchSeq)
            return job
        }
    }

    public func job(_ key: JobKey) async throws -> Job {
        try await self.database.read { db in try Self.jobRow(db, key).job }
    }

    public func listJobs(_ scope: Scope, appId: String, branchName: String, after token: PageToken?, limit: Int) async throws -> Page<Job> {
        try await self.database.read { db in
            let branchSeq = try Self.branchSeq(db, scope, appId, branchName)
            // A page's position is its last job's id (column 1).
            let jobs = try db.cachedRows(
                sql: "SELECT \(Self.jobColumns) FROM job WHERE branchSeq = ? AND jobId < ? ORDER BY jobId DESC LIMIT ?",
                arguments: [branchSeq, token?.position ?? Int64.max, limit + 1]
            ) { row in
                (row[1] as Int64, Self.job(row, key: JobKey(scope: scope, appId: appId, branchName: branchName, jobId: row[1])))
            }
            return Page(fetched: jobs, limit: limit, list: .jobs)
        }
    }

    public func updateJob(_ key: JobKey, log: StepLog?, _ update: @Sendable (inout Job) throws -> Void) async throws -> Job {
        try await self.write { db in
            let (seq, old) = try Self.jobRow(db, key)
            var job = old
            try update(&job)
            try Self.saveJob(db, seq: seq, job, replacing: old)
            if let log { try Self.appendLog(db, jobSeq: seq, log) }
            return job
        }
    }

    public func deleteFinishedJob(_ key: JobKey) async throws -> Job {
        try await self.write { db in
            let (appSeq, app) = try Self.appRow(db, key.scope, key.appId)
            let (branchSeq, branch) = try Self.branchRow(db, key.scope, key.appId, key.branchName)
            let (seq, job) = try Self.jobRow(db, key)
            let deletion = try JobDeletion(deleting: job, from: branch, of: app)
            try db.cachedExecute(sql: "DELETE FROM job WHERE seq = ?", arguments: [seq])
            if let branch = deletion.branch { try Self.save(db, branch, seq: branchSeq) }
            if let app = deletion.app { try Self.save(db, app, seq: appSeq) }
            return job
        }
    }

    public func claimNextPendingJob(node: String, leaseUntil: Date, now: Date) async throws -> Job? {
        try await self.write { db in
            guard let (seq, old) = try Self.jobRows(db, where: "job.status = 'PENDING' ORDER BY job.seq LIMIT 1").first else {
                return nil
            }
            var job = old
            try job.apply(.claim, at: now)
            try Self.saveJob(db, seq: seq, job, replacing: old)
            try db.cachedExecute(
                sql: "UPDATE job SET node = ?, leaseExpires = ? WHERE seq = ?", arguments: [node, leaseUntil.timeIntervalSince1970, seq]
            )
            return job
        }
    }

    public func renewLeases(node: String, until: Date) async throws -> Set<JobKey> {
        try await self.write { db in
            try db.cachedExecute(
                sql: "UPDATE job SET leaseExpires = ? WHERE node = ? AND status IN (\(JobStatus.claimedSQL))",
                arguments: [until.timeIntervalSince1970, node]
            )
            let rows = try db.cachedRows(
                sql: """
                    SELECT job.status, app.account, app.region, app.appId, branch.branchName, job.jobId FROM job
                    JOIN branch ON branch.seq = job.branchSeq JOIN app ON app.seq = branch.appSeq
                    WHERE job.node = ? AND job.status IN (\(JobStatus.claimedSQL))
                    """,
                arguments: [node]
            )
            var building = Set<JobKey>()
            for row in rows where Self.status(row[0]).keepsBuilding {
                building.insert(JobKey(scope: Scope(account: row[1], region: row[2]), appId: row[3], branchName: row[4], jobId: row[5]))
            }
            return building
        }
    }

    public func finishAbandonedJobs(leaseEndedBefore leaseEnd: Date, orClaimedBy node: String?, reason: String, now: Date) async throws -> Int {
        try await self.write { db in
            let rows = try Self.jobRows(
                db, where: "job.status IN (\(JobStatus.claimedSQL)) AND (job.leaseExpires IS NULL OR job.leaseExpires < ? OR job.node = ?)",
                arguments: [leaseEnd.timeIntervalSince1970, node]
            )
            for (seq, old) in rows {
                try Self.saveJob(db, seq: seq, old.failedOrCancelled(reason: reason, at: now), replacing: old)
            }
            return rows.count
        }
    }

    public func cancelUnclaimedJob(_ key: JobKey, now: Date) async throws {
        try await self.write { db in
            let (seq, old) = try Self.jobRow(db, key)
            let node = try db.cachedValue(String.self, sql: "SELECT node FROM job WHERE seq = ?", arguments: [seq])
            var job = old
            if try job.cancelIfUnclaimed(claimedBy: node, at: now) {
                try Self.saveJob(db, seq: seq, job, replacing: old)
            }
        }
    }

    public func log(_ key: JobKey, step: String, from offset: Int) async throws -> StepLogTail? {
        try await self.database.read { db in
            let seq: Int64
            do {
                seq = try Self.jobRow(db, key).seq
            } catch let error as AmplifyError where error.code == .notFound {
                return nil
            }
            guard
                let total = try db.cachedValue(
                    Int.self, sql: "SELECT MAX(endOffset) FROM job_log_chunk WHERE jobSeq = ? AND step = ?", arguments: [seq, step]
                )
            else { return nil }
            let rows = try db.cachedRows(
                sql: "SELECT endOffset, content FROM job_log_chunk WHERE jobSeq = ? AND step = ? AND endOffset > ? ORDER BY endOffset",
                arguments: [seq, step, offset]
            )
            var tail = StepLogTail(chunks: rows.map { (end: $0[0], content: $0[1]) }, from: offset)
            tail.total = total
            return tail
        }
    }

    // MARK: Rows

    static func appendLog(_ db: Database, jobSeq: Int64, _ log: StepLog) throws {
        for piece in log.pieces() {
            try db.cachedExecute(
                sql: """
                    INSERT INTO job_log_chunk (jobSeq, step, content, endOffset)
                    VALUES (?, ?, ?, COALESCE((SELECT MAX(endOffset) FROM job_log_chunk WHERE jobSeq = ? AND step = ?), 0) + ?)
                    """,
                arguments: [jobSeq, log.step, piece, jobSeq, log.step, piece.utf8.count]
            )
        }
    }


    /// The columns a Job is read from, in the order `job(_:key:)` reads them by position; queries put
    /// any other columns after these.
    static let jobColumns = """
        job.seq AS jobSeq, job.jobId, job.status, job.jobType, job.commitId, job.commitMessage, job.commitTime, \
        job.startTime, job.endTime, job.jobReason, job.sourceUrl, job.sourceUrlType, job.statusReason
        """

    /// The job with its steps, or NotFoundException for it, its branch or its app.
    static func jobRow(_ db: Database, _ key: JobKey) throws -> (seq: Int64, job: Job) {
        let found = try db.cachedRow(
            sql: """
                SELECT \(jobColumns) FROM app
                JOIN branch ON branch.appSeq = app.seq
                JOIN job ON job.branchSeq = branch.seq
                WHERE app.account = ? AND app.region = ? AND app.appId = ? AND branch.branchName = ? AND job.jobId = ?
                """,
            arguments: [key.scope.account, key.scope.region, key.appId, key.branchName, key.jobId]
        ) { row in (row[0] as Int64, Self.job(row, key: key)) }
        guard let found else {
            _ = try branchSeq(db, key.scope, key.appId, key.branchName)
            throw AmplifyError.jobNotFound(String(key.jobId))
        }
        return try withSteps(db, found)
    }

    static func jobRow(_ db: Database, branchSeq: Int64, key: JobKey) throws -> (seq: Int64, job: Job)? {
        let found = try db.cachedRow(sql: "SELECT \(jobColumns) FROM job WHERE branchSeq = ? AND jobId = ?", arguments: [branchSeq, key.jobId]) {
            row in (row[0] as Int64, Self.job(row, key: key))
        }
        return try found.map { try withSteps(db, $0) }
    }

    /// Jobs of any branch matching a condition on `job`, with their keys and steps.
    static func jobRows(_ db: Database, where condition: String, arguments: StatementArguments = []) throws -> [(seq: Int64, job: Job)] {
        let found = try db.cachedRows(
            sql: """
                SELECT \(jobColumns), app.account, app.region, app.appId, branch.branchName FROM job
                JOIN branch ON branch.seq = job.branchSeq
                JOIN app ON app.seq = branch.appSeq
                WHERE \(condition)
                """,
            arguments: arguments
        ) { row in
            let key = JobKey(scope: Scope(account: row[13], region: row[14]), appId: row[15], branchName: row[16], jobId: row[1])
            return (row[0] as Int64, Self.job(row, key: key))
        }
        return try found.map { try withSteps(db, $0) }
    }

    private static func withSteps(_ db: Database, _ found: (seq: Int64, job: Job)) throws -> (seq: Int64, job: Job) {
        var job = found.job
        job.steps = try db.cachedRows(
            sql: "SELECT stepName, status, startTime, endTime, statusReason FROM job_step WHERE jobSeq = ? ORDER BY position",
            arguments: [found.seq]
        ) { row in
            var step = JobStep(stepName: row[0], status: status(row[1]), startTime: date(row[2]))
            step.endTime = (row[3] as Double?).map(date)
            step.statusReason = row[4]
            return step
        }
        return (found.seq, job)
    }

    /// A job's summary columns as a Job, without its steps.
    static func job(_ row: Row, key: JobKey) -> Job {
        var job = Job(
            key: key, jobType: JobType(rawValue: row[3]) ?? .release, status: status(row[2]),
            commitId: row[4], commitMessage: row[5], commitTime: date(row[6]), startTime: date(row[7]), jobReason: row[9]
        )
        job.endTime = (row[8] as Double?).map(date)
        job.sourceUrl = row[10]
        job.sourceUrlType = (row[11] as String?).flatMap(SourceUrlType.init)
        job.statusReason = row[12]
        return job
    }

    static func insertJob(_ db: Database, branchSeq: Int64, _ job: Job) throws {
        try db.cachedExecute(
            sql: """
                INSERT INTO job (branchSeq, jobId, status, jobType, commitId, commitMessage, commitTime, startTime, endTime,
                                 jobReason, sourceUrl, sourceUrlType, statusReason)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                branchSeq, job.key.jobId, job.status.rawValue, job.jobType.rawValue, job.commitId, job.commitMessage,
                job.commitTime.timeIntervalSince1970, job.startTime.timeIntervalSince1970, job.endTime?.timeIntervalSince1970,
                job.jobReason, job.sourceUrl, job.sourceUrlType?.rawValue, job.statusReason,
            ]
        )
        try insertSteps(db, jobSeq: db.lastInsertedRowID, job.steps, from: 0)
    }

    /// Writes the job's columns, and the steps that differ from `old`'s.
    static func saveJob(_ db: Database, seq: Int64, _ job: Job, replacing old: Job) throws {
        try db.cachedExecute(
            sql: """
                UPDATE job SET status = ?, commitId = ?, commitMessage = ?, commitTime = ?, startTime = ?, endTime = ?,
                               jobReason = ?, sourceUrl = ?, sourceUrlType = ?, statusReason = ?
                WHERE seq = ?
                """,
            arguments: [
                job.status.rawValue, job.commitId, job.commitMessage, job.commitTime.timeIntervalSince1970,
                job.startTime.timeIntervalSince1970, job.endTime?.timeIntervalSince1970, job.jobReason, job.sourceUrl,
                job.sourceUrlType?.rawValue, job.statusReason, seq,
            ]
        )
        guard job.steps != old.steps else { return }
        let unchanged = zip(job.steps, old.steps).prefix { $0 == $1 }.count
        try db.cachedExecute(sql: "DELETE FROM job_step WHERE jobSeq = ? AND position >= ?", arguments: [seq, unchanged])
        try insertSteps(db, jobSeq: seq, job.steps, from: unchanged)
    }

    private static func insertSteps(_ db: Database, jobSeq: Int64, _ steps: [JobStep], from first: Int) throws {
        for position in steps.indices where position >= first {
            let step = steps[position]
            try db.cachedExecute(
                sql: "INSERT INTO job_step (jobSeq, position, stepName, status, startTime, endTime, statusReason) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    jobSeq, position, step.stepName, step.status.rawValue, step.startTime.timeIntervalSince1970,
                    step.endTime?.timeIntervalSince1970, step.statusReason,
                ]
            )
        }
    }

    /// The branch's job in progress, if any.
    static func activeJobId(_ db: Database, branchSeq: Int64) throws -> Int? {
        try db.cachedValue(Int.self, sql: "SELECT jobId FROM job WHERE branchSeq = ? AND status IN (\(JobStatus.activeSQL))", arguments: [branchSeq])
    }

    private static func status(_ text: String) -> JobStatus { JobStatus(rawValue: text) ?? .failed }
    private static func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }
}

extension SQLiteStore {
    public func pendingJobCount() async throws -> Int {
        try await self.database.read { db in
            try db.cachedValue(Int.self, sql: "SELECT COUNT(*) FROM job WHERE status = 'PENDING'", arguments: []) ?? 0
        }
    }
}
