/// Whether the compute of a branch's deployment (the job that made it) is still wanted: the rule the compute
/// supervisor applies to each compute it runs, every 2 s.
public enum ComputeServing: Equatable, Sendable {
    /// Its deployment is served: it goes on.
    case served
    /// Newer than the live deployment: it is being deployed, and goes on while its job is RUNNING (StopJob during
    /// DEPLOY, or a failure before it went live, ends it).
    case whileItsJobRuns
    /// Not served any more: it is drained and stopped, for the reason given.
    case retired(String)

    /// How long an earlier deployment's compute (skew protection) runs without a request, in seconds.
    public static let idleLimitSeconds = 300.0

    /// The rule for the compute of job `jobId` of `branch` (nil: the branch or its app was deleted), which has gone
    /// `idleSeconds` without a request.
    public static func of(jobId: Int, branch: Branch?, idleSeconds: Double) -> ComputeServing {
        guard let branch else { return .retired("its branch or app was deleted") }
        if branch.liveJobId == jobId { return .served }
        if (branch.liveJobId ?? 0) < jobId { return .whileItsJobRuns }
        if branch.skewProtectedJobIds.contains(jobId) && idleSeconds < self.idleLimitSeconds { return .served }
        return .retired("its deployment is no longer served")
    }
}
