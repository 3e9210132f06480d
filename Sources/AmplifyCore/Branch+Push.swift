import Foundation

/// What reaches a branch from its repository: a push of a commit, or the end of the job that made a push wait.
public enum Push: Sendable, Equatable {
    case commit(GitCommit)
    /// The branch's job may have ended: build the push that waited for it, if one did.
    case followUp
}

/// What a push did to a branch.
public enum PushOutcome: Sendable, Equatable {
    /// A WEB_HOOK job of the pushed commit.
    case built(Job)
    /// The branch has a job in progress: the push waits for it (one build of the newest push when it ends).
    case waiting
    /// Nothing builds, for the reason given.
    case skipped(String)
    /// The branch saw this commit already (another node, a notification and a poll), or no push waited.
    case seen
}

/// The rules of builds on push: each commit once, `[skip-cd]`, automatic builds, and at most one waiting push.
extension Branch {
    public mutating func receive(_ push: Push, app: App, activeJobId: Int?, now: Date) throws(AmplifyError) -> PushOutcome {
        switch push {
        case .followUp:
            guard let commit = self.pendingPush else { return .seen }
            guard activeJobId == nil else { return .waiting }
            self.pendingPush = nil
            return .built(try self.startBuild(of: commit, app: app, now: now))
        case .commit(let commit):
            guard self.lastSeenCommit != commit.id else { return .seen }
            self.lastSeenCommit = commit.id
            // A newer push decides: a waiting one does not build after it.
            self.pendingPush = nil
            guard self.enableAutoBuild else { return .skipped("automatic builds are off for branch \(self.branchName)") }
            guard !commit.skipsBuild else { return .skipped("the commit message ends in [skip-cd]") }
            guard activeJobId == nil else {
                self.pendingPush = commit
                return .waiting
            }
            return .built(try self.startBuild(of: commit, app: app, now: now))
        }
    }

    private mutating func startBuild(of commit: GitCommit, app: App, now: Date) throws(AmplifyError) -> Job {
        let request = JobRequest(jobType: .webHook, commitId: commit.id, commitMessage: commit.message, commitTime: commit.time)
        return try self.startJob(request, app: app, retried: nil, activeJobId: nil, now: now)
    }

    /// A branch the app makes by itself for a new git branch that matches its patterns, with its
    /// `autoBranchCreationConfig`'s settings.
    public static func autoCreated(_ branchName: String, app: App, now: Date) -> Branch {
        var branch = Branch(scope: app.scope, appId: app.appId, branchName: branchName, now: now)
        guard let config = app.autoBranchCreationConfig else { return branch }
        if let stage = config.stage { branch.stage = stage }
        branch.framework = config.framework
        branch.enableAutoBuild = config.enableAutoBuild ?? branch.enableAutoBuild
        branch.environmentVariables = config.environmentVariables ?? [:]
        branch.basicAuthCredentials = config.basicAuthCredentials
        branch.enableBasicAuth = config.enableBasicAuth ?? false
        branch.enablePerformanceMode = config.enablePerformanceMode ?? false
        branch.buildSpec = config.buildSpec
        branch.enablePullRequestPreview = config.enablePullRequestPreview ?? false
        branch.pullRequestEnvironmentName = config.pullRequestEnvironmentName
        return branch
    }

    /// The preview branch of a pull request that targets `self`: the destination's settings, stage PULL_REQUEST,
    /// and `pullRequestEnvironmentName` as its backend environment.
    public func preview(of pullRequest: PullRequest, now: Date) -> Branch {
        var preview = Branch(scope: self.scope, appId: self.appId, branchName: pullRequest.branchName, now: now)
        preview.stage = .pullRequest
        preview.framework = self.framework
        preview.enableAutoBuild = true
        preview.environmentVariables = self.environmentVariables
        preview.basicAuthCredentials = self.basicAuthCredentials
        preview.enableBasicAuth = self.enableBasicAuth
        preview.enablePerformanceMode = self.enablePerformanceMode
        preview.buildSpec = self.buildSpec
        preview.computeRoleArn = self.computeRoleArn
        preview.backendEnvironmentArn = self.pullRequestEnvironmentName.map {
            "\(ARN.app(self.scope, appId: self.appId))/backendenvironments/\($0)"
        } ?? self.backendEnvironmentArn
        preview.pullRequest = pullRequest
        return preview
    }
}

extension App {
    /// Whether a new git branch of this name gets an Amplify branch of its own: automatic branch creation is on and
    /// one of its patterns matches (`*` within a `/`-separated part, `**` across parts).
    public func autoCreatesBranch(_ branchName: String) -> Bool {
        guard self.enableAutoBranchCreation else { return false }
        return (self.autoBranchCreationPatterns ?? []).contains { FileGlob($0).matches(branchName) }
    }
}
