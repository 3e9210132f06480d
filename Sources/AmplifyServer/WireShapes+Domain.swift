import AmplifyCore
import AmplifyWire
import Foundation

extension Wire.App {
    /// The app as the API shows it: tokens are never returned; members the model requires are there even when empty.
    init(_ app: App, _ call: APICall) {
        self.init(
            appId: app.appId, appArn: app.arn, name: app.name, tags: app.tags, description: app.description ?? "",
            repository: app.repository ?? "", platform: Wire.Platform(app.platform), createTime: app.createTime, updateTime: app.updateTime,
            computeRoleArn: app.computeRoleArn, iamServiceRoleArn: app.iamServiceRoleArn,
            environmentVariables: app.environmentVariables, defaultDomain: app.defaultDomain,
            enableBranchAutoBuild: app.enableBranchAutoBuild, enableBranchAutoDeletion: app.enableBranchAutoDeletion,
            enableBasicAuth: app.enableBasicAuth, basicAuthCredentials: app.basicAuthCredentials,
            customRules: app.customRules.map { Wire.CustomRule(source: $0.source, target: $0.target, status: $0.status, condition: $0.condition) },
            productionBranch: app.productionBranch.map {
                Wire.ProductionBranch(
                    lastDeployTime: $0.lastDeployTime, status: "SUCCEED",
                    thumbnailUrl: AdminRoutes.thumbnailURL(call, app.scope, appId: app.appId, branchName: $0.branchName), branchName: $0.branchName
                )
            },
            buildSpec: app.buildSpec, customHeaders: app.customHeaders, enableAutoBranchCreation: app.enableAutoBranchCreation,
            autoBranchCreationPatterns: app.autoBranchCreationPatterns,
            autoBranchCreationConfig: app.autoBranchCreationConfig.map(Wire.AutoBranchCreationConfig.init),
            repositoryCloneMethod: app.hasRepository ? .token : nil,
            cacheConfig: Wire.CacheConfig(type: Wire.CacheConfigType(app.cacheConfig.type)),
            jobConfig: Wire.JobConfig(buildComputeType: Wire.BuildComputeType(app.jobConfig.buildComputeType))
        )
    }
}

extension Wire.AutoBranchCreationConfig {
    init(_ config: AutoBranchCreationConfig) {
        self.init(
            stage: config.stage.map(Wire.Stage.init), framework: config.framework, enableAutoBuild: config.enableAutoBuild,
            environmentVariables: config.environmentVariables, basicAuthCredentials: config.basicAuthCredentials,
            enableBasicAuth: config.enableBasicAuth, enablePerformanceMode: config.enablePerformanceMode, buildSpec: config.buildSpec,
            enablePullRequestPreview: config.enablePullRequestPreview, pullRequestEnvironmentName: config.pullRequestEnvironmentName
        )
    }
}

extension Wire.Branch {
    /// Members the model requires are there even when empty (`activeJobId` is "" before the first job);
    /// `thumbnailUrl` once a site is live.
    init(_ branch: Branch, _ call: APICall) {
        self.init(
            branchArn: branch.arn, branchName: branch.branchName, description: branch.description ?? "", tags: branch.tags,
            stage: Wire.Stage(branch.stage), displayName: branch.displayName, enableNotification: branch.enableNotification,
            createTime: branch.createTime, updateTime: branch.updateTime, environmentVariables: branch.environmentVariables,
            enableAutoBuild: branch.enableAutoBuild, enableSkewProtection: branch.enableSkewProtection, customDomains: [],
            framework: branch.framework ?? "", activeJobId: branch.activeJobId.map(String.init) ?? "",
            totalNumberOfJobs: String(branch.totalNumberOfJobs), enableBasicAuth: branch.enableBasicAuth,
            enablePerformanceMode: branch.enablePerformanceMode,
            thumbnailUrl: branch.liveJobId.map { _ in AdminRoutes.thumbnailURL(call, branch.scope, appId: branch.appId, branchName: branch.branchName) },
            basicAuthCredentials: branch.basicAuthCredentials,
            buildSpec: branch.buildSpec, ttl: branch.ttl, associatedResources: [],
            enablePullRequestPreview: branch.enablePullRequestPreview,
            pullRequestEnvironmentName: branch.pullRequestEnvironmentName, destinationBranch: branch.pullRequest?.destinationBranch,
            sourceBranch: branch.pullRequest?.sourceBranch, backendEnvironmentArn: branch.backendEnvironmentArn,
            backend: branch.backendStackArn.map { Wire.Backend(stackArn: $0) }, computeRoleArn: branch.computeRoleArn
        )
    }
}

extension Wire.JobSummary {
    init(_ job: Job) {
        self.init(
            jobArn: job.arn, jobId: String(job.key.jobId), commitId: job.commitId, commitMessage: job.commitMessage,
            commitTime: job.commitTime, startTime: job.startTime, status: Wire.JobStatus(job.status), endTime: job.endTime,
            jobType: Wire.JobType(job.jobType), sourceUrl: job.sourceUrl, sourceUrlType: job.sourceUrlType.map(Wire.SourceUrlType.init)
        )
    }
}

extension Wire.Step {
    init(_ step: JobStep, logUrl: String) {
        self.init(
            stepName: step.stepName, startTime: step.startTime, status: Wire.JobStatus(step.status), endTime: step.endTime,
            logUrl: logUrl, statusReason: step.statusReason
        )
    }
}
