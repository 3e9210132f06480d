import AmplifyCore
import Foundation
import PostgresNIO

/// Jobs, their logs and their claims, in the same tables as `SQLiteStore`'s. A job is read with its
/// steps in one query (one statement sees one state of both).
extension PostgresStore {
    public func startJob(_ scope: Scope, appId: String, branchName: String, _ request: JobRequest, now: Date) async throws -> Job {
        try await self.write { connection in
            var target = try await Self.newJobTarget(connection, scope, appId, branchName)
            var retried: Job?
            if let retriedId = request.retriedJobId {
                retried = try await Self.jobRow(connection, JobKey(scope: scope, appId: appId, branchName: branchName, jobId: retriedId))?.job
            }
            let job = try target.branch.startJob(request, app: target.app, retried: retried, activeJobId: target.activeJobId, now: now)
            try await Self.insertJob(connection, job, into: target)
            return job
        }
    }

    public func job(_ key: JobKey) async throws -> Job {
        try await self.read { connection in
            guard let job = try await Self.jobRow(connection, key) else { throw try await Self.missing(connection, key) }
            return job.job
        }
    }

    public func listJobs(_ scope: Scope, appId: String, branchName: String, after token: PageToken?, limit: Int) async throws -> Page<Job> {
        try await self.read { connection in
            let branchSeq = try await Self.branchSeq(connection, scope, appId, branchName)
            let rows = try await connection.rows(
                """
                SELECT \(unescaped: Self.jobColumns) FROM job WHERE branchSeq = \(branchSeq) AND jobId < \(token?.position ?? Int64.max)
                ORDER BY jobId DESC LIMIT \(limit + 1)
                """
            )
            let jobs = try rows.map { row in
                let cells = PostgresRandomAccessRow(row)
                let jobId = try cells[1].decode(Int.self)
                return (Int64(jobId), try Self.job(cells, key: JobKey(scope: scope, appId: appId, branchName: branchName, jobId: jobId)))
            }
            return Page(fetched: jobs, limit: limit, list: .jobs)
        }
    }

    public func updateJob(_ key: JobKey, log: StepLog?, _ update: @Sendable (inout Job) throws -> Void) async throws -> Job {
        try await self.write { connection in
            guard let (seq, old) = try await Self.jobRow(connection, key, lock: true) else { throw try await Self.missing(connection, key) }
            var job = old
            try update(&job)
            try await Self.saveJob(connection, seq: seq, job, replacing: old)
            if let log { try await Self.appendLog(connection, jobSeq: seq, log) }
            return job
        }
    }

    public func deleteFinishedJob(_ key: JobKey) async throws -> Job {
        try await self.write { connection in
            let (appSeq, app) = try await Self.appRow(connection, key.scope, key.appId, lock: true)
            let (branchSeq, branch) = try await Self.branchRow(connection, key.scope, key.appId, key.branchName, lock: true)
            guard let (seq, job) = try await Self.jobRow(connection, key, lock: true) else { throw AmplifyError.jobNotFound(String(key.jobId)) }
            let deletion = try JobDeletion(deleting: job, from: branch, of: app)
            try await connection.run("DELETE FROM job WHERE seq = \(seq)")
            if let branch = deletion.branch { try await Self.save(connection, branch, seq: branchSeq) }
            if let app = deletion.app { try await Self.save(connection, app, seq: appSeq) }
            return job
        }
    }

    public func claimNextPendingJob(node: String, leaseUntil: Date, now: Date) async throws -> Job? {
        try await self.write { connection in
            // A job another node is claiming is skipped, not waited for: each claim takes a different job.
            let claimed = try await connection.row(
                """
                SELECT job.seq, \(unescaped: Self.keyColumns), job.jobId FROM job
                JOIN branch ON branch.seq = job.branchSeq JOIN app ON app.seq = branch.appSeq
                WHERE job.status = 'PENDING' ORDER BY job.seq LIMIT 1
                FOR NO KEY UPDATE OF job SKIP LOCKED
                """
            )
            guard let claimed, let (seq, old) = try await Self.jobRow(connection, Self.key(claimed, from: 1)) else { return nil }
            var job = old
            try job.apply(.claim, at: now)
            try await Self.saveJob(connection, seq: seq, job, replacing: old)
            try await connection.run("UPDATE job SET node = \(node), leaseExpires = \(leaseUntil.timeIntervalSince1970) WHERE seq = \(seq)")
            return job
        }
    }

    public func renewLeases(node: String, until: Date) async throws -> Set<JobKey> {
        try await self.write { connection in
            let rows = try await connection.rows(
                """
                UPDATE job SET leaseExpires = \(until.timeIntervalSince1970) FROM branch, app
                WHERE job.node = \(node) AND job.status IN (\(unescaped: JobStatus.claimedSQL))
                  AND branch.seq = job.branchSeq AND app.seq = branch.appSeq
                RETURNING job.status, \(unescaped: Self.keyColumns), job.jobId
                """
            )
            var alive = Set<JobKey>()
            for row in rows where Self.status(try row.decode(String.self)).keepsBuilding {
                alive.insert(try Self.key(row, from: 1))
            }
            return alive
        }
    }

    public func finishAbandonedJobs(leaseEndedBefore leaseEnd: Date, orClaimedBy node: String?, reason: String, now: Date) async throws -> Int {
        try await self.write { connection in
            // Locked rows belong to a node that is writing them, so it is alive: skipped.
            let abandoned = try await connection.rows(
                """
                SELECT job.seq, \(unescaped: Self.keyColumns), job.jobId FROM job
                JOIN branch ON branch.seq = job.branchSeq JOIN app ON app.seq = branch.appSeq
                WHERE job.status IN (\(unescaped: JobStatus.claimedSQL))
                  AND (job.leaseExpires IS NULL OR job.leaseExpires < \(leaseEnd.timeIntervalSince1970) OR job.node = \(node))
                FOR NO KEY UPDATE OF job SKIP LOCKED
                """
            )
            var finished = 0
            for row in abandoned {
                guard let (seq, old) = try await Self.jobRow(connection, Self.key(row, from: 1)) else { continue }
                try await Self.saveJob(connection, seq: seq, old.failedOrCancelled(reason: reason, at: now), replacing: old)
                finished += 1
            }
            return finished
        }
    }

    public func cancelUnclaimedJob(_ key: JobKey, now: Date) async throws {
        try await self.write { connection in
            guard let (seq, old) = try await Self.jobRow(connection, key, lock: true) else { throw try await Self.missing(connection, key) }
            let node = try await connection.row("SELECT node FROM job WHERE seq = \(seq)")?.decode(String?.self)
            var job = old
            if try job.cancelIfUnclaimed(claimedBy: node, at: now) {
                try await Self.saveJob(connection, seq: seq, job, replacing: old)
            }
        }
    }

    public func log(_ key: JobKey, step: String, from offset: Int) async throws -> StepLogTail? {
        try await self.read { connection in
            let job = try await connection.row(
                """
                SELECT job.seq, (SELECT MAX(endOffset) FROM job_log_chunk WHERE jobSeq = job.seq AND step = \(step)) FROM app
                JOIN branch ON branch.appSeq = app.seq JOIN job ON job.branchSeq = branch.seq
                WHERE app.account = \(key.scope.account) AND app.region = \(key.scope.region) AND app.appId = \(key.appId)
                  AND branch.branchName = \(key.branchName) AND job.jobId = \(key.jobId)
                """
            )
            guard let (seq, total) = try job?.decode((Int64, Int?).self), let total else { return nil }
            let rows = try await connection.rows(
                "SELECT endOffset, content FROM job_log_chunk WHERE jobSeq = \(seq) AND step = \(step) AND endOffset > \(offset) ORDER BY endOffset"
            )
            var tail = StepLogTail(chunks: try rows.map { row in try row.decode((Int, String).self) }.map { (end: $0.0, content: $0.1) }, from: offset)
            tail.total = total
            return tail
        }
    }

    // MARK: Rows

    /// The columns a Job is read from, by position (`job(_:key:)`); queries put others after them.
    static let jobColumns = """
        job.seq, job.jobId, job.status, job.jobType, job.commitId, job.commitMessage, job.commitTime, \
        job.startTime, job.endTime, job.jobReason, job.sourceUrl, job.sourceUrlType, job.statusReason
        """

    /// A job's key but its id, in the order `key(_:from:)` reads them (with `job.jobId` after them).
    static let keyColumns = "app.account, app.region, app.appId, branch.branchName"

    /// The job key in five columns from position `first`: account, region, app id, branch name, job id.
    static func key(_ row: PostgresRow, from first: Int) throws -> JobKey {
        let cells = PostgresRandomAccessRow(row)
        return JobKey(
            scope: Scope(account: try cells[first].decode(String.self), region: try cells[first + 1].decode(String.self)),
            appId: try cells[first + 2].decode(String.self), branchName: try cells[first + 3].decode(String.self),
            jobId: try cells[first + 4].decode(Int.self)
        )
    }

    /// The job with its steps, or nil; with `lock`, its row stays locked to the end of the transaction.
    static func jobRow(_ connection: PostgresConnection, _ key: JobKey, lock: Bool = false) async throws -> (seq: Int64, job: Job)? {
        if lock {
            // Locked first, read after: a statement that waited for a lock sees the job row as it is now but
            // its steps as they were when it began.
            let locked = try await connection.row(
                """
                SELECT job.seq FROM app JOIN branch ON branch.appSeq = app.seq JOIN job ON job.branchSeq = branch.seq
                WHERE app.account = \(key.scope.account) AND app.region = \(key.scope.region) AND app.appId = \(key.appId)
                  AND branch.branchName = \(key.branchName) AND job.jobId = \(key.jobId)
                FOR NO KEY UPDATE OF job
                """
            )
            guard locked != nil else { return nil }
        }
        let rows = try await connection.rows(JobStatement(key: key))
        guard let first = rows.first else { return nil }
        let cells = PostgresRandomAccessRow(first)
        var job = try Self.job(cells, key: key)
        for row in rows {
            let cells = PostgresRandomAccessRow(row)
            guard let name = try cells[13].decode(String?.self) else { continue }
            var step = JobStep(stepName: name, status: Self.status(try cells[14].decode(String.self)), startTime: Self.date(try cells[15].decode(Double.self)))
            step.endTime = try cells[16].decode(Double?.self).map(Self.date)
            step.statusReason = try cells[17].decode(String?.self)
            job.steps.append(step)
        }
        return (try cells[0].decode(Int64.self), job)
    }

    /// Appends to a step's log in pieces of at most `StepLog.chunkBytes`, each knowing where it ends in the log.
    static func appendLog(_ connection: PostgresConnection, jobSeq: Int64, _ log: StepLog) async throws {
        for piece in log.pieces() {
            try await connection.run(
                """
                INSERT INTO job_log_chunk (jobSeq, step, content, endOffset)
                VALUES (\(jobSeq), \(log.step), \(piece),
                        COALESCE((SELECT MAX(endOffset) FROM job_log_chunk WHERE jobSeq = \(jobSeq) AND step = \(log.step)), 0)
                        + \(piece.replacingNUL.utf8.count))
                """
            )
        }
    }

    /// The job or branch or app that is missing, as the error the client gets.
    static func missing(_ connection: PostgresConnection, _ key: JobKey) async throws -> AmplifyError {
        _ = try await branchSeq(connection, key.scope, key.appId, key.branchName)
        return .jobNotFound(String(key.jobId))
    }

    /// Where a new job goes: the app, its branch (locked, for its job counter changes) and the branch's job
    /// in progress, if any, read in one statement.
    static func newJobTarget(
        _ connection: PostgresConnection, _ scope: Scope, _ appId: String, _ branchName: String
    ) async throws -> (app: App, branchSeq: Int64, branch: Branch, activeJobId: Int?) {
        // The job in progress is read with the branch; should a concurrent StartJob's job not show yet, the
        // unique index on active jobs refuses the second one and the transaction runs again.
        let rows = try await connection.rows(NewJobTargetStatement(scope: scope, appId: appId, branchName: branchName))
        guard let (app, branchSeq, branch, active) = rows.first else {
            throw try await missing(connection, scope, appId, branchName)
        }
        return (try Documents.decode(App.self, from: app), branchSeq, try Documents.decode(Branch.self, from: branch), active)
    }

    /// A job's summary columns as a Job, without its steps.
    static func job(_ cells: PostgresRandomAccessRow, key: JobKey) throws -> Job {
        var job = Job(
            key: key, jobType: JobType(rawValue: try cells[3].decode(String.self)) ?? .release, status: status(try cells[2].decode(String.self)),
            commitId: try cells[4].decode(String.self), commitMessage: try cells[5].decode(String.self),
            commitTime: date(try cells[6].decode(Double.self)), startTime: date(try cells[7].decode(Double.self)),
            jobReason: try cells[9].decode(String?.self)
        )
        job.endTime = try cells[8].decode(Double?.self).map(date)
        job.sourceUrl = try cells[10].decode(String?.self)
        job.sourceUrlType = try cells[11].decode(String?.self).flatMap(SourceUrlType.init)
        job.statusReason = try cells[12].decode(String?.self)
        return job
    }

    /// Adds the branch's next job and saves the branch that counted it, in one statement.
    static func insertJob(
        _ connection: PostgresConnection, _ job: Job, into target: (app: App, branchSeq: Int64, branch: Branch, activeJobId: Int?)
    ) async throws {
        let seq = try await connection.rows(
            InsertJobStatement(branchDocument: try Documents.encode(target.branch), branchSeq: target.branchSeq, job: job)
        ).first
        guard let seq else { return }
        try await insertSteps(connection, jobSeq: seq, job.steps, from: 0)
    }

    /// Writes the job's columns, and the steps that differ from `old`'s.
    static func saveJob(_ connection: PostgresConnection, seq: Int64, _ job: Job, replacing old: Job) async throws {
        try await connection.run(
            """
            UPDATE job SET status = \(job.status.rawValue), commitId = \(job.commitId), commitMessage = \(job.commitMessage),
                           commitTime = \(job.commitTime.timeIntervalSince1970), startTime = \(job.startTime.timeIntervalSince1970),
                           endTime = \(job.endTime?.timeIntervalSince1970), jobReason = \(job.jobReason), sourceUrl = \(job.sourceUrl),
                           sourceUrlType = \(job.sourceUrlType?.rawValue), statusReason = \(job.statusReason)
            WHERE seq = \(seq)
            """
        )
        guard job.steps != old.steps else { return }
        let unchanged = zip(job.steps, old.steps).prefix { $0 == $1 }.count
        try await connection.run("DELETE FROM job_step WHERE jobSeq = \(seq) AND position >= \(unchanged)")
        try await insertSteps(connection, jobSeq: seq, job.steps, from: unchanged)
    }

    static func insertSteps(_ connection: PostgresConnection, jobSeq: Int64, _ steps: [JobStep], from first: Int) async throws {
        for position in steps.indices where position >= first {
            let step = steps[position]
            try await connection.run(
                """
                INSERT INTO job_step (jobSeq, position, stepName, status, startTime, endTime, statusReason)
                VALUES (\(jobSeq), \(position), \(step.stepName), \(step.status.rawValue), \(step.startTime.timeIntervalSince1970),
                        \(step.endTime?.timeIntervalSince1970), \(step.statusReason))
                """
            )
        }
    }

    static func status(_ text: String) -> JobStatus { JobStatus(rawValue: text) ?? .failed }
    private static func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }
}

extension PostgresStore {
    public func pendingJobCount() async throws -> Int {
        try await self.read { connection in
            try await connection.row("SELECT COUNT(*)::BIGINT FROM job WHERE status = 'PENDING'")?.decode(Int.self) ?? 0
        }
    }
}
