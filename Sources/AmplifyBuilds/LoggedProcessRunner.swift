import AmplifyProcess
import Foundation

/// Runs a build's processes with their output in the step's log: the log is flushed to the store as it
/// grows, and a process ends early when the job is stopped or deleted, or the build's time is up.
struct LoggedProcessRunner: Sendable {
    let launcher: any ProcessLauncher
    let log: BuildLog
    let progress: JobProgress
    let marker: String
    let grace: Duration
    let deadline: ContinuousClock.Instant
    /// The failure reason when the deadline passes.
    let timeoutReason: String

    /// Runs `command` with its output in the log (or given to `output` instead). A stop or deletion
    /// throws the matching `JobProgress.Interruption`; the timeout comes back as `.stopped(timeoutReason)`.
    func run(_ command: ProcessCommand, output: (@Sendable ([UInt8]) -> Void)? = nil) async throws -> ProcessOutcome {
        let log = self.log
        let outcome = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await log.flushPeriodically() }
            defer { group.cancelAll() }
            return try await self.launcher.run(command, grace: self.grace, output: output ?? log.append, errorOutput: output == nil ? log.appendWarning : nil) {
                if self.progress.isStopRequested() { return "The job was stopped." }
                if log.interruption != nil { return "The job was stopped." }
                if ContinuousClock.now >= self.deadline { return self.timeoutReason }
                return nil
            }
        }
        await log.flush()
        if self.progress.isStopRequested() { throw JobProgress.Interruption.stopped }
        if let interruption = log.interruption { throw interruption }
        return outcome
    }
}
