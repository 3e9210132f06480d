import Foundation

/// A branch of an app: what gets built and deployed.
public struct Branch: Codable, Sendable, Equatable {
    public var scope: Scope
    public var appId: String
    public var branchName: String
    public var description: String?
    public var stage: Stage
    public var displayName: String
    public var framework: String?
    public var enableNotification: Bool
    public var enableAutoBuild: Bool
    public var enableSkewProtection: Bool
    public var environmentVariables: [String: String]
    public var basicAuthCredentials: String?
    public var enableBasicAuth: Bool
    public var enablePerformanceMode: Bool
    public var buildSpec: String?
    public var ttl: String
    public var enablePullRequestPreview: Bool
    public var pullRequestEnvironmentName: String?
    public var backendEnvironmentArn: String?
    public var backendStackArn: String?
    public var computeRoleArn: String?
    public var tags: [String: String]
    public var createTime: Date
    public var updateTime: Date
    /// How many jobs the branch ever had: job ids are never reused, so this is also the last id.
    public var totalNumberOfJobs: Int
    /// The newest job's id.
    public var activeJobId: Int?
    /// The job whose site is served for the branch, if any.
    public var liveJobId: Int?
    /// When the live site was deployed.
    public var lastDeployTime: Date?
    /// The deployments skew protection serves (`Branch+SkewProtection`): jobs published while it was on, newest first.
    public var skewProtectedJobs: [Int]?
    /// The commit of its git branch that the branch saw last (a push, or a build started by one): a push of it again
    /// builds nothing. Nil until the first push after the branch was made.
    public var lastSeenCommit: String?
    /// A push that came while the branch had a job in progress: built once that job ends (the newest such push).
    public var pendingPush: GitCommit?
    /// The pull request a preview branch (stage PULL_REQUEST) builds.
    public var pullRequest: PullRequest?

    /// A new branch with the defaults the real service fills in.
    public init(scope: Scope, appId: String, branchName: String, now: Date) {
        self.scope = scope
        self.appId = appId
        self.branchName = branchName
        self.stage = .none
        self.displayName = Self.defaultDisplayName(branchName)
        self.enableNotification = false
        self.enableAutoBuild = true
        self.enableSkewProtection = false
        self.environmentVariables = [:]
        self.enableBasicAuth = false
        self.enablePerformanceMode = false
        self.ttl = "5"
        self.enablePullRequestPreview = false
        self.tags = [:]
        self.createTime = now
        self.updateTime = now
        self.totalNumberOfJobs = 0
    }

    /// The branch name as a DNS label: lowercase, with anything else than letters, digits and `-` as `-`.
    public static func defaultDisplayName(_ branchName: String) -> String {
        String(branchName.lowercased().map { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" ? $0 : "-" })
    }

    public var arn: String { ARN.branch(self.scope, appId: self.appId, branchName: self.branchName) }
}
