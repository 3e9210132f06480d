import AmplifyCore
import AmplifyWire
import Foundation

extension Branch {
    /// Applies the members an UpdateBranch request sets; members it leaves out keep their values.
    mutating func apply(_ update: Wire.UpdateBranchRequest, now: Date) throws(AmplifyError) {
        if let description = update.description { self.description = description }
        if let framework = update.framework { self.framework = framework }
        if let stage = update.stage { self.stage = Stage(stage) }
        if let value = update.enableNotification { self.enableNotification = value }
        if let value = update.enableAutoBuild { self.enableAutoBuild = value }
        if let value = update.enableSkewProtection { self.enableSkewProtection = value }
        try EnvironmentVariables.apply(update.environmentVariables, to: &self.environmentVariables)
        if let value = update.basicAuthCredentials { self.basicAuthCredentials = value }
        if let value = update.enableBasicAuth { self.enableBasicAuth = value }
        if let value = update.enablePerformanceMode { self.enablePerformanceMode = value }
        if let buildSpec = update.buildSpec { self.buildSpec = buildSpec }
        if let ttl = update.ttl { self.ttl = ttl }
        if let displayName = update.displayName, !displayName.isEmpty { self.displayName = displayName }
        if let value = update.enablePullRequestPreview { self.enablePullRequestPreview = value }
        if let value = update.pullRequestEnvironmentName { self.pullRequestEnvironmentName = value }
        if let value = update.backendEnvironmentArn { self.backendEnvironmentArn = value }
        if let backend = update.backend { self.backendStackArn = backend.stackArn }
        if let value = update.computeRoleArn { self.computeRoleArn = value }
        self.updateTime = now
    }
}

extension Wire.UpdateBranchRequest {
    /// The settings of a CreateBranch request, which are those UpdateBranch can change (its names are the branch's own).
    init(creating create: Wire.CreateBranchRequest) {
        self.init(
            appId: create.appId, branchName: create.branchName, description: create.description, framework: create.framework, stage: create.stage,
            enableNotification: create.enableNotification, enableAutoBuild: create.enableAutoBuild,
            enableSkewProtection: create.enableSkewProtection, environmentVariables: create.environmentVariables,
            basicAuthCredentials: create.basicAuthCredentials, enableBasicAuth: create.enableBasicAuth,
            enablePerformanceMode: create.enablePerformanceMode, buildSpec: create.buildSpec, ttl: create.ttl,
            displayName: create.displayName, enablePullRequestPreview: create.enablePullRequestPreview,
            pullRequestEnvironmentName: create.pullRequestEnvironmentName, backendEnvironmentArn: create.backendEnvironmentArn,
            backend: create.backend, computeRoleArn: create.computeRoleArn
        )
    }
}
