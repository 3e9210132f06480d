import AmplifyCore
import AmplifyHosting
import AmplifyWire
import Foundation

extension App {
    /// Applies the members an UpdateApp request sets; members it leaves out keep their values.
    mutating func apply(_ update: Wire.UpdateAppRequest, now: Date) throws(AmplifyError) {
        if let name = update.name { self.name = name }
        if let description = update.description { self.description = description }
        if let platform = update.platform { self.platform = Platform(platform) }
        if let computeRoleArn = update.computeRoleArn { self.computeRoleArn = computeRoleArn }
        if let iamServiceRoleArn = update.iamServiceRoleArn { self.iamServiceRoleArn = iamServiceRoleArn }
        try EnvironmentVariables.apply(update.environmentVariables, to: &self.environmentVariables)
        if let value = update.enableBranchAutoBuild { self.enableBranchAutoBuild = value }
        if let value = update.enableBranchAutoDeletion { self.enableBranchAutoDeletion = value }
        if let value = update.enableBasicAuth { self.enableBasicAuth = value }
        if let value = update.basicAuthCredentials { self.basicAuthCredentials = value }
        if let rules = update.customRules {
            self.customRules = rules.map { CustomRule(source: $0.source, target: $0.target, status: $0.status, condition: $0.condition) }
        }
        if let buildSpec = update.buildSpec { self.buildSpec = buildSpec }
        if let customHeaders = update.customHeaders {
            // Refused here, with the request that writes it, so that no visitor's request pays for expanding it.
            if let problem = CustomHeadersText.problem(customHeaders) { throw .badRequest(problem) }
            if let problem = CustomHeaders.problem(customHeaders) { throw .badRequest(problem) }
            self.customHeaders = customHeaders
        }
        if let value = update.enableAutoBranchCreation { self.enableAutoBranchCreation = value }
        if let patterns = update.autoBranchCreationPatterns { self.autoBranchCreationPatterns = patterns }
        if let config = update.autoBranchCreationConfig { self.autoBranchCreationConfig = try AutoBranchCreationConfig(config) }
        if let jobConfig = update.jobConfig { self.jobConfig = JobConfig(buildComputeType: BuildComputeType(jobConfig.buildComputeType)) }
        if let cacheConfig = update.cacheConfig { self.cacheConfig = CacheConfig(type: CacheConfigType(cacheConfig.type)) }
        if let accessToken = update.accessToken { self.accessToken = accessToken }
        if let oauthToken = update.oauthToken { self.oauthToken = oauthToken }
        if let repository = update.repository { self.repository = repository }
        try self.requireCloneToken()
        self.updateTime = now
    }

    /// A remote repository needs a token to clone it, as on AWS; a repository on this machine does not.
    func requireCloneToken() throws(AmplifyError) {
        guard let repository, !repository.isEmpty, !RepositoryLocation.isOnThisMachine(repository) else { return }
        if (self.accessToken ?? "").isEmpty && (self.oauthToken ?? "").isEmpty {
            throw .badRequest("You should at least provide one valid token")
        }
    }
}

extension AutoBranchCreationConfig {
    /// The config a request gives (it replaces the app's whole config): `{" ": ""}` as its variables means none.
    init(_ wire: Wire.AutoBranchCreationConfig) throws(AmplifyError) {
        self.init()
        self.stage = wire.stage.map(Stage.init)
        self.framework = wire.framework
        self.enableAutoBuild = wire.enableAutoBuild
        try EnvironmentVariables.requireNoEmptyKey(wire.environmentVariables)
        self.environmentVariables = wire.environmentVariables == EnvironmentVariables.clearing ? [:] : wire.environmentVariables
        self.basicAuthCredentials = wire.basicAuthCredentials
        self.enableBasicAuth = wire.enableBasicAuth
        self.enablePerformanceMode = wire.enablePerformanceMode
        self.buildSpec = wire.buildSpec
        self.enablePullRequestPreview = wire.enablePullRequestPreview
        self.pullRequestEnvironmentName = wire.pullRequestEnvironmentName
    }
}

extension Wire.UpdateAppRequest {
    /// The settings of a CreateApp request, which are those UpdateApp can change (the app has no id yet).
    init(creating create: Wire.CreateAppRequest) {
        self.init(
            appId: "", name: create.name, description: create.description, platform: create.platform,
            computeRoleArn: create.computeRoleArn, iamServiceRoleArn: create.iamServiceRoleArn,
            environmentVariables: create.environmentVariables, enableBranchAutoBuild: create.enableBranchAutoBuild,
            enableBranchAutoDeletion: create.enableBranchAutoDeletion, enableBasicAuth: create.enableBasicAuth,
            basicAuthCredentials: create.basicAuthCredentials, customRules: create.customRules, buildSpec: create.buildSpec,
            customHeaders: create.customHeaders, enableAutoBranchCreation: create.enableAutoBranchCreation,
            autoBranchCreationPatterns: create.autoBranchCreationPatterns, autoBranchCreationConfig: create.autoBranchCreationConfig,
            repository: create.repository, oauthToken: create.oauthToken, accessToken: create.accessToken,
            jobConfig: create.jobConfig, cacheConfig: create.cacheConfig
        )
    }
}
