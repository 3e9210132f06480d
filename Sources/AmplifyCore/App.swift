import Foundation

/// An Amplify app: the settings its owner gave it and what the service keeps about it.
public struct App: Codable, Sendable, Equatable {
    public var scope: Scope
    public var appId: String
    public var name: String
    public var description: String?
    public var repository: String?
    public var platform: Platform
    public var computeRoleArn: String?
    public var iamServiceRoleArn: String?
    /// Kept to clone the repository; never returned.
    public var accessToken: String?
    /// Kept to clone the repository; never returned.
    public var oauthToken: String?
    public var environmentVariables: [String: String]
    public var enableBranchAutoBuild: Bool
    public var enableBranchAutoDeletion: Bool
    public var enableBasicAuth: Bool
    public var basicAuthCredentials: String?
    public var customRules: [CustomRule]
    public var buildSpec: String?
    public var customHeaders: String?
    public var enableAutoBranchCreation: Bool
    public var autoBranchCreationPatterns: [String]?
    public var autoBranchCreationConfig: AutoBranchCreationConfig?
    public var jobConfig: JobConfig
    public var cacheConfig: CacheConfig
    public var tags: [String: String]
    /// The branch whose site went live first, or the live branch with stage PRODUCTION.
    public var productionBranch: ProductionBranch?
    public var createTime: Date
    public var updateTime: Date

    /// A new app with the defaults the real service fills in.
    public init(scope: Scope, appId: String, name: String, now: Date) {
        self.scope = scope
        self.appId = appId
        self.name = name
        self.platform = .web
        self.environmentVariables = [:]
        self.enableBranchAutoBuild = false
        self.enableBranchAutoDeletion = false
        self.enableBasicAuth = false
        self.customRules = []
        self.enableAutoBranchCreation = false
        self.jobConfig = JobConfig(buildComputeType: .standard8gb)
        self.cacheConfig = CacheConfig(type: .amplifyManaged)
        self.tags = [:]
        self.createTime = now
        self.updateTime = now
    }

    public var arn: String { ARN.app(self.scope, appId: self.appId) }
    public var defaultDomain: String { "\(self.appId).amplifyapp.com" }
    public var hasRepository: Bool { !(self.repository ?? "").isEmpty }

    /// CreateApp with automatic branch creation on and no config: AWS answers (and keeps) a default config whose
    /// stage is NONE.
    public mutating func fillAutoBranchCreationConfig() {
        guard self.enableAutoBranchCreation, self.autoBranchCreationConfig == nil else { return }
        var config = AutoBranchCreationConfig()
        config.stage = Stage.none
        self.autoBranchCreationConfig = config
    }
}

/// The app's production branch, as GetApp shows it once a site is live.
public struct ProductionBranch: Codable, Sendable, Equatable {
    public var branchName: String
    public var lastDeployTime: Date

    public init(branchName: String, lastDeployTime: Date) {
        self.branchName = branchName
        self.lastDeployTime = lastDeployTime
    }
}

/// A redirect or rewrite rule of an app.
public struct CustomRule: Codable, Sendable, Equatable {
    public var source: String
    public var target: String
    public var status: String?
    public var condition: String?

    public init(source: String, target: String, status: String? = nil, condition: String? = nil) {
        self.source = source
        self.target = target
        self.status = status
        self.condition = condition
    }
}

/// The settings of branches the app creates by itself.
public struct AutoBranchCreationConfig: Codable, Sendable, Equatable {
    public var stage: Stage?
    public var framework: String?
    public var enableAutoBuild: Bool?
    public var environmentVariables: [String: String]?
    public var basicAuthCredentials: String?
    public var enableBasicAuth: Bool?
    public var enablePerformanceMode: Bool?
    public var buildSpec: String?
    public var enablePullRequestPreview: Bool?
    public var pullRequestEnvironmentName: String?

    public init() {}
}

/// The build instance type of an app's jobs.
public struct JobConfig: Codable, Sendable, Equatable {
    public var buildComputeType: BuildComputeType
    public init(buildComputeType: BuildComputeType) { self.buildComputeType = buildComputeType }
}

/// The app's CDN cache configuration.
public struct CacheConfig: Codable, Sendable, Equatable {
    public var type: CacheConfigType
    public init(type: CacheConfigType) { self.type = type }
}
