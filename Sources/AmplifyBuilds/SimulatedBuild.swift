import AmplifyCore
import Foundation
import Logging

/// A build that runs nothing: the job walks PROVISIONING → RUNNING (BUILD, DEPLOY, VERIFY) → SUCCEED
/// in `totalSeconds`, writing a log for each step that says it was simulated.
struct SimulatedBuild: Sendable {
    let job: JobKey
    let store: any Store
    let clock: ServiceClock
    let totalSeconds: Double
    let reason: String
    let isStopRequested: @Sendable () -> Bool
    let logger: Logger

    /// Share of the total time spent provisioning and in each step.
    private static let phases: [(step: String?, share: Double)] = [(nil, 0.1), ("BUILD", 0.5), ("DEPLOY", 0.3), ("VERIFY", 0.1)]

    private enum Outcome: Error {
        /// StopJob, or the job's branch or app went away.
        case stopped
        /// The job is gone from the store.
        case deleted
    }

    func run() async {
        do {
            for (step, share) in Self.phases {
                if let step {
                    let line = "Simulated \(step) step: no commands were run because \(self.reason)."
                    try await self.advance(log: StepLog(step: step, text: self.logLine(line))) { job, now in
                        if job.status == .provisioning { try job.apply(.run, at: now) }
                        job.beginStep(step, at: now)
                    }
                }
                try await self.pause(seconds: self.totalSeconds * share)
            }
            try await self.advance { job, now in
                job.endRunningStep(.succeed, at: now)
                try job.apply(.succeed, at: now)
            }
            self.logger.debug("Simulated build succeeded")
        } catch Outcome.stopped {
            await self.finishStopped()
        } catch Outcome.deleted {
            self.logger.debug("Job deleted during its build")
        } catch is CancellationError {
            await self.finish(.fail, reason: "The build was interrupted: amplify-local shut down.")
        } catch {
            self.logger.error("Simulated build failed", metadata: ["error": "\(error)"])
            await self.finish(.fail, reason: "The build failed inside amplify-local: \(error)")
        }
    }

    /// Applies a step of the build (and its log line), unless the job was stopped meanwhile.
    private func advance(log: StepLog? = nil, _ change: @escaping @Sendable (inout Job, Date) throws -> Void) async throws {
        let now = self.clock.now()
        let job: Job
        do {
            job = try await self.store.updateJob(self.job, log: log) { job in
                guard job.status == .provisioning || job.status == .running else { return }
                try change(&job, now)
            }
        } catch let error as AmplifyError where error.code == .notFound {
            throw Outcome.deleted
        }
        if job.status == .cancelling { throw Outcome.stopped }
    }

    /// Waits, checking often for a stop request.
    private func pause(seconds: Double) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int((seconds * 1000).rounded()))
        while true {
            if self.isStopRequested() { throw Outcome.stopped }
            let left = deadline - ContinuousClock.now
            if left <= .zero { return }
            try await Task.sleep(for: min(left, .milliseconds(20)))
        }
    }

    private func logLine(_ text: String) -> String {
        let stamp = self.clock.now().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
        return "\(stamp) [INFO]: \(text)\n"
    }

    private func finishStopped() async {
        let now = self.clock.now()
        _ = try? await self.store.updateJob(self.job) { job in
            if job.status == .cancelling { try job.apply(.cancelled, at: now) }
        }
    }

    private func finish(_ event: JobStateMachine.Event, reason: String) async {
        let now = self.clock.now()
        _ = try? await self.store.updateJob(self.job) { job in
            guard !job.status.isFinished else { return }
            if job.status == .cancelling {
                try job.apply(.cancelled, at: now)
            } else {
                try job.apply(event, at: now, reason: reason)
            }
        }
    }
}
