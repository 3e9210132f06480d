import AmplifyCore
import Foundation
import Logging

/// Moves one claimed job through its steps in the store, for the executors (simulated builds,
/// deployments): each change is one transaction, and a stop or a deletion seen on the way ends the run.
struct JobProgress: Sendable {
    /// Why a run ended early.
    enum Interruption: Error {
        /// StopJob, or the job's branch or app is being deleted.
        case stopped
        /// The job is gone from the store.
        case deleted
        /// The step failed for the reason given; later steps do not run.
        case failed(String)
    }

    let job: JobKey
    let store: any Store
    let clock: ServiceClock
    let isStopRequested: @Sendable () -> Bool
    let logger: Logger
    /// What a build control asks of this job instead of its build spec, if anything.
    var control: BuildControl.Action? = nil
    /// Where a held job waits to be released.
    var controls: BuildControls? = nil
    /// Where the job's site goes (with an object store, there first: `publish`).
    var sites: SiteFiles? = nil

    /// Starts step `name` (the job goes RUNNING with its first step), with a first log line.
    func begin(_ name: String, log line: String) async throws {
        let job = try await self.advance(log: StepLog(step: name, text: self.logLine(line))) { job, now in
            if job.status == .provisioning { try job.apply(.run, at: now) }
            job.beginStep(name, at: now)
        }
        if job.steps.count == 1 {
            // The job just went RUNNING.
            switch self.control {
            case .hold(.running)?:
                try await self.hold(name)
            case .delay(let seconds)?:
                try await self.log(name, "Waiting \(seconds) s first, as a build control asks.")
                try await self.pause(seconds: seconds)
            default:
                break
            }
        }
        if case .fail(let step, let reason)? = self.control, step == name {
            try await self.write(name, text: "\(self.stamp()) [ERROR]: \(reason) (failed on purpose by a build control; the step did not run)\n")
            throw Interruption.failed(reason)
        }
    }

    /// Waits until the job is released through `POST /_amplify-local/builds/control`, or stopped.
    private func hold(_ step: String?) async throws {
        guard let controls = self.controls else { return }
        if let step { try await self.log(step, "Held by a build control until released.") }
        try await controls.hold(self.job) { self.isStopRequested() }
    }

    /// Ends the last step and the job as SUCCEED.
    private func succeed() async throws {
        try await self.advance { job, now in
            job.endRunningStep(.succeed, at: now)
            try job.apply(.succeed, at: now)
        }
    }

    /// Appends a line to a step's log.
    func log(_ step: String, _ line: String) async throws {
        try await self.write(step, text: self.logLine(line))
    }

    /// Appends text (whole lines, already stamped) to a step's log.
    func write(_ step: String, text: String) async throws {
        try await self.advance(log: StepLog(step: step, text: text)) { _, _ in }
    }

    /// Makes the job's site the branch's live site (the end of DEPLOY), with a line in DEPLOY's log.
    func publish(_ line: String) async throws {
        try await self.log("DEPLOY", line)
        try await self.share()
        do {
            guard try await self.store.publishSite(self.job, now: self.clock.now()) else { throw Interruption.stopped }
        } catch let error as AmplifyError where error.code == .notFound {
            throw Interruption.deleted
        }
        try await self.log("DEPLOY", "The site is live.")
    }

    /// Stores the site in the object store, when there is one, before it goes live: no node is told of a site it cannot
    /// fetch, and a node that dies on the way leaves a job that never went live.
    private func share() async throws {
        guard let sites, sites.shared != nil else { return }
        do {
            let branch = try await self.store.branch(self.job.scope, appId: self.job.appId, branchName: self.job.branchName)
            try await sites.share(self.job, generation: branch.createTime)
        } catch let error as AmplifyError where error.code == .notFound {
            throw Interruption.deleted
        } catch {
            throw Interruption.failed("The site could not be stored in the object store: \(error)")
        }
    }

    /// VERIFY: checks the live site for an `index.html` at its root.
    func verify(_ site: URL) async throws {
        try await self.begin("VERIFY", log: "Verifying the deployment.")
        let index = FileManager.default.fileExists(atPath: site.appending(path: "index.html").path)
        try await self.log("VERIFY", index ? "index.html found." : "[WARNING]: The site has no index.html at its root.")
    }

    /// Puts the commit the build checked out on the job's summary.
    func record(commitId: String, message: String, time: Date) async throws {
        try await self.advance { job, _ in
            job.commitId = commitId
            job.commitMessage = message
            job.commitTime = time
        }
    }

    /// Waits, checking often for a stop request.
    func pause(seconds: Double) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int((seconds * 1000).rounded()))
        while true {
            if self.isStopRequested() { throw Interruption.stopped }
            let left = deadline - ContinuousClock.now
            if left <= .zero { return }
            try await Task.sleep(for: min(left, .milliseconds(20)))
        }
    }

    /// Runs `body` and ends the job as its outcome says: done → SUCCEED, stopped → CANCELLED, failed or
    /// interrupted → FAILED with the reason on the step, deleted → nothing left to do.
    /// `cleanup` runs before the job's end is written, however it ends: a job seen finished has nothing
    /// left running and no workspace left behind.
    /// Returns whether the job turned out to be deleted (with its branch or app) while it ran.
    @discardableResult
    func run(cleanup: () async -> Void = {}, _ body: () async throws -> Void) async -> Bool {
        do {
            if case .hold(.provisioning)? = self.control { try await self.hold(nil) }
            try await body()
            await cleanup()
            try await self.succeed()
            return false
        } catch {
            await cleanup()
            await self.end(after: error)
            if case Interruption.deleted = error { return true }
            return false
        }
    }

    private func end(after error: any Error) async {
        switch error {
        case Interruption.stopped:
            // The running step's log says so: it would otherwise end at whatever command was running.
            let running = try? await self.store.job(self.job).steps.last { !$0.status.isFinished }?.stepName
            await self.end(log: running.map { StepLog(step: $0, text: self.logLine(Job.stoppedReason)) }) { job, now in
                if job.status == .cancelling { try job.apply(.cancelled, at: now) }
            }
        case Interruption.deleted:
            self.logger.debug("Job deleted while it ran")
        case Interruption.failed(let reason):
            await self.fail(reason)
        case is CancellationError:
            await self.fail("The job was interrupted: amplify-local shut down.")
        default:
            self.logger.error("Job failed inside amplify-local", metadata: ["error": "\(error)"])
            await self.fail("The job failed inside amplify-local: \(error)")
        }
    }

    private func fail(_ reason: String) async {
        await self.end { job, now in job = try job.failedOrCancelled(reason: reason, at: now) }
    }

    private func end(log: StepLog? = nil, _ change: @escaping @Sendable (inout Job, Date) throws -> Void) async {
        let now = self.clock.now()
        _ = try? await self.store.updateJob(self.job, log: log) { job in
            guard !job.status.isFinished else { return }
            try change(&job, now)
        }
    }

    /// Applies a change (and a log line), unless the job was stopped meanwhile; returns the job as stored.
    @discardableResult
    private func advance(log: StepLog? = nil, _ change: @escaping @Sendable (inout Job, Date) throws -> Void) async throws -> Job {
        if self.isStopRequested() { throw Interruption.stopped }
        let now = self.clock.now()
        let job: Job
        do {
            job = try await self.store.updateJob(self.job, log: log) { job in
                guard job.status == .provisioning || job.status == .running else { return }
                try change(&job, now)
            }
        } catch let error as AmplifyError where error.code == .notFound {
            throw Interruption.deleted
        }
        if job.status == .cancelling { throw Interruption.stopped }
        return job
    }

    private func logLine(_ text: String) -> String {
        "\(self.stamp()) [INFO]: \(text)\n"
    }

    /// The time stamp that starts each log line, as AWS writes it (`2026-11-29T05:34:06.123Z`).
    func stamp() -> String {
        self.clock.now().formatted(Self.stampFormat)
    }

    private static let stampFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
