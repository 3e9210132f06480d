import Foundation

/// Identifies one job: scope, app, branch and the per-branch job number.
public struct JobKey: Codable, Hashable, Sendable, CustomStringConvertible {
    public var scope: Scope
    public var appId: String
    public var branchName: String
    public var jobId: Int

    public init(scope: Scope, appId: String, branchName: String, jobId: Int) {
        self.scope = scope
        self.appId = appId
        self.branchName = branchName
        self.jobId = jobId
    }

    public var description: String { "\(self.appId)/\(self.branchName)/\(self.jobId)" }

    /// The id of the deployment the job made, as its compute sees it (`AWS_AMPLIFY_DEPLOYMENT_ID`) and skew
    /// protection names it (`X-Amplify-Dpl`, `dpl`, `_dpl`): the branch's name and the job's number.
    public var deploymentId: String { "\(self.branchName)-\(self.jobId)" }
}
