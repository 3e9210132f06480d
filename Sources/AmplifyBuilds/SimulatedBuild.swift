import AmplifyCore
import Foundation

/// A build that runs nothing: the job walks PROVISIONING → RUNNING (BUILD, DEPLOY, VERIFY) → SUCCEED
/// in `totalSeconds`, writing a log for each step that says it was simulated.
struct SimulatedBuild: Sendable {
    let progress: JobProgress
    let totalSeconds: Double
    let reason: String

    /// Share of the total time spent provisioning and in each step.
    private static let phases: [(step: String?, share: Double)] = [(nil, 0.1), ("BUILD", 0.5), ("DEPLOY", 0.3), ("VERIFY", 0.1)]

    /// Returns whether the job was deleted while it ran.
    func run() async -> Bool {
        return await self.progress.run {
            for (step, share) in Self.phases {
                if let step {
                    try await self.progress.begin(step, log: "Simulated \(step) step: no commands were run because \(self.reason).")
                }
                try await self.progress.pause(seconds: self.totalSeconds * share)
            }
        }
    }
}
