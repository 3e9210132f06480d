import Foundation

/// Skew protection (`enableSkewProtection`): a client that loaded one deployment of the branch goes on being served
/// that deployment's files and compute after a new one goes live, while it is among the branch's last 5 deployments
/// made with protection on. A request names its deployment by the `X-Amplify-Dpl` header, else the `dpl` query
/// parameter, else the `_dpl` cookie; an unknown or expired name gets the live deployment.
extension Branch {
    /// How many deployments skew protection serves (the live one among them).
    public static let skewProtectedCount = 5

    /// The jobs whose deployments a request may name (none while protection is off).
    public var skewProtectedJobIds: [Int] { self.enableSkewProtection ? self.skewProtectedJobs ?? [] : [] }

    /// A job's deployment went live: kept while protection is on (only deployments made with it on are protected).
    mutating func keepForSkewProtection(_ jobId: Int) {
        guard self.enableSkewProtection else {
            self.skewProtectedJobs = nil
            return
        }
        self.skewProtectedJobs = Array(([jobId] + (self.skewProtectedJobs ?? []).filter { $0 != jobId }).prefix(Self.skewProtectedCount))
    }

    /// The job whose deployment serves a request naming `deploymentId` (`JobKey.deploymentId`), nil for the live one.
    public func skewProtectedJob(named deploymentId: String) -> Int? {
        let prefix = self.branchName + "-"
        guard deploymentId.hasPrefix(prefix), let jobId = Int(deploymentId.dropFirst(prefix.count)),
            jobId != self.liveJobId, self.skewProtectedJobIds.contains(jobId)
        else { return nil }
        return jobId
    }
}
