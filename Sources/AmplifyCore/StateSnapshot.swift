import Foundation

/// Everything the server holds for some apps, as one document (`GET /_amplify-local/state`), and what
/// `POST /_amplify-local/state` and `--init FILE` load: apps with their branches, jobs (steps and tags), webhooks,
/// domain associations and backend environments. Values are Core's, so nothing is lost on the way (tokens, live
/// jobs, job counters, production branches).
public struct StateSnapshot: Codable, Sendable, Equatable {
    public struct AppState: Codable, Sendable, Equatable {
        public var app: App
        public var branches: [BranchState]
        public var webhooks: [Webhook]
        public var domainAssociations: [DomainAssociation]
        public var backendEnvironments: [BackendEnvironment]

        public init(
            app: App, branches: [BranchState] = [], webhooks: [Webhook] = [], domainAssociations: [DomainAssociation] = [],
            backendEnvironments: [BackendEnvironment] = []
        ) {
            self.app = app
            self.branches = branches
            self.webhooks = webhooks
            self.domainAssociations = domainAssociations
            self.backendEnvironments = backendEnvironments
        }
    }

    public struct BranchState: Codable, Sendable, Equatable {
        public var branch: Branch
        /// Oldest first.
        public var jobs: [JobState]

        public init(branch: Branch, jobs: [JobState] = []) {
            self.branch = branch
            self.jobs = jobs
        }
    }

    public struct JobState: Codable, Sendable, Equatable {
        public var job: Job
        public var tags: [String: String]

        public init(job: Job, tags: [String: String] = [:]) {
            self.job = job
            self.tags = tags
        }
    }

    public var apps: [AppState]

    public init(apps: [AppState] = []) {
        self.apps = apps
    }

    /// The scopes the snapshot's apps are in.
    public var scopes: Set<Scope> { Set(self.apps.map(\.app.scope)) }

    /// The snapshot with every value moved into `scope` (loading into the caller's account and region).
    public func moved(to scope: Scope) -> StateSnapshot {
        var moved = self
        for a in moved.apps.indices {
            moved.apps[a].app.scope = scope
            for b in moved.apps[a].branches.indices {
                moved.apps[a].branches[b].branch.scope = scope
                for j in moved.apps[a].branches[b].jobs.indices { moved.apps[a].branches[b].jobs[j].job.key.scope = scope }
            }
            for w in moved.apps[a].webhooks.indices { moved.apps[a].webhooks[w].scope = scope }
            for d in moved.apps[a].domainAssociations.indices { moved.apps[a].domainAssociations[d].scope = scope }
            for e in moved.apps[a].backendEnvironments.indices { moved.apps[a].backendEnvironments[e].scope = scope }
        }
        return moved
    }

    /// What a loaded state must keep, as the API keeps it: every value belongs to its app and scope, names and ids are
    /// unique where the API makes them so, job counters and live, active and production pointers name what exists, at
    /// most one job per branch is in progress and none is being built, subdomains and webhooks point at branches, and
    /// the quotas hold. The error names the member at fault (`apps.1.branches.2.jobs.1: …`).
    public func validate(quotas: Quotas) throws(AmplifyError) {
        func fail(_ path: String, _ problem: String) -> AmplifyError { .badRequest("\(path): \(problem)") }
        var appIds = Set<String>()
        var webhookIds = Set<String>()
        var appsPerScope: [Scope: Int] = [:]
        for (a, state) in self.apps.enumerated() {
            let path = "apps.\(a + 1)"
            let app = state.app
            guard AppID.isValid(app.appId) else { throw fail("\(path).app.appId", "'\(app.appId)' is not an app id (d followed by letters and digits).") }
            guard appIds.insert(app.appId).inserted else { throw fail("\(path).app.appId", "app \(app.appId) is there twice.") }
            try Self.validateValues(app, path: path)
            appsPerScope[app.scope, default: 0] += 1
            do {
                try App.requireCreatable(count: appsPerScope[app.scope, default: 1] - 1, quotas: quotas)
                try Quotas.requireRoom(for: "branches", count: state.branches.count - 1, limit: quotas.branchesPerApp, in: "app \(app.appId)")
                try Quotas.requireRoom(for: "domains", count: state.domainAssociations.count - 1, limit: quotas.domainsPerApp, in: "app \(app.appId)")
                try Quotas.requireRoom(for: "webhooks", count: state.webhooks.count - 1, limit: quotas.webhooksPerApp, in: "app \(app.appId)")
            } catch {
                throw fail(path, error.message)
            }
            var branchNames = Set<String>()
            for (b, branchState) in state.branches.enumerated() {
                let branchPath = "\(path).branches.\(b + 1)"
                let branch = branchState.branch
                guard branch.scope == app.scope, branch.appId == app.appId else {
                    throw fail("\(branchPath).branch", "branch \(branch.branchName) is not of app \(app.appId) in its account and region.")
                }
                guard branchNames.insert(branch.branchName).inserted else { throw fail(branchPath, "branch \(branch.branchName) is there twice.") }
                do { try BuildSecret.requireValidBranchName(branch.branchName) } catch { throw fail("\(branchPath).branch.branchName", error.message) }
                try Self.validateJobs(branchState, path: branchPath)
            }
            if let production = app.productionBranch, !branchNames.contains(production.branchName) {
                throw fail("\(path).app.productionBranch", "the app has no branch \(production.branchName).")
            }
            for (w, webhook) in state.webhooks.enumerated() {
                guard webhook.scope == app.scope, webhook.appId == app.appId, branchNames.contains(webhook.branchName) else {
                    throw fail("\(path).webhooks.\(w + 1)", "webhook \(webhook.webhookId) does not point at a branch of app \(app.appId).")
                }
                guard webhookIds.insert(webhook.webhookId).inserted else { throw fail("\(path).webhooks.\(w + 1)", "webhook \(webhook.webhookId) is there twice.") }
            }
            var domainNames = Set<String>()
            for (d, domain) in state.domainAssociations.enumerated() {
                let domainPath = "\(path).domainAssociations.\(d + 1)"
                guard domain.scope == app.scope, domain.appId == app.appId else { throw fail(domainPath, "domain \(domain.domainName) is not of app \(app.appId).") }
                guard domainNames.insert(domain.domainName).inserted else { throw fail(domainPath, "domain \(domain.domainName) is there twice.") }
                do { try domain.requireBranches(among: branchNames) } catch { throw fail(domainPath, error.message) }
            }
            var environmentNames = Set<String>()
            for (e, environment) in state.backendEnvironments.enumerated() {
                let environmentPath = "\(path).backendEnvironments.\(e + 1)"
                guard environment.scope == app.scope, environment.appId == app.appId else {
                    throw fail(environmentPath, "backend environment \(environment.environmentName) is not of app \(app.appId).")
                }
                guard environmentNames.insert(environment.environmentName).inserted else {
                    throw fail(environmentPath, "backend environment \(environment.environmentName) is there twice.")
                }
            }
        }
    }

    /// The values files and processes are named from, as the API takes them: the account (12 digits) and region
    /// (letters, digits and `-`) folders are named after, the app's name and the repository git is given.
    private static func validateValues(_ app: App, path: String) throws(AmplifyError) {
        let account = app.scope.account
        guard account.utf8.count == 12, account.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            throw .badRequest("\(path).app.scope.account: '\(account)' is not an account id (12 digits).")
        }
        let region = app.scope.region
        guard (1...64).contains(region.utf8.count), region.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            throw .badRequest("\(path).app.scope.region: '\(region)' is not a region (lowercase letters, digits and -).")
        }
        guard (1...255).contains(app.name.count) else { throw .badRequest("\(path).app.name: must be 1 to 255 characters.") }
        if let repository = app.repository, repository.count > 1000 {
            throw .badRequest("\(path).app.repository: must be at most 1000 characters.")
        }
    }

    private static func validateJobs(_ state: BranchState, path: String) throws(AmplifyError) {
        let branch = state.branch
        var ids = Set<Int>()
        var active: [Int] = []
        for (j, jobState) in state.jobs.enumerated() {
            let job = jobState.job
            let jobPath = "\(path).jobs.\(j + 1)"
            guard job.key.scope == branch.scope, job.key.appId == branch.appId, job.key.branchName == branch.branchName else {
                throw .badRequest("\(jobPath).job.key: job \(job.key.jobId) is not of branch \(branch.branchName).")
            }
            guard job.key.jobId >= 1, job.key.jobId <= branch.totalNumberOfJobs else {
                throw .badRequest("\(jobPath).job.key.jobId: job \(job.key.jobId) is beyond the branch's totalNumberOfJobs (\(branch.totalNumberOfJobs)).")
            }
            guard ids.insert(job.key.jobId).inserted else { throw .badRequest("\(jobPath): job \(job.key.jobId) is there twice.") }
            if let sourceUrl = job.sourceUrl {
                // As StartDeployment takes one (at most 3000 characters); `--deploy-from` is checked when it runs.
                let schemes = ["s3://", "https://", "http://", "file://"]
                guard job.jobType == .manual, sourceUrl.count <= 3000, schemes.contains(where: sourceUrl.hasPrefix),
                    !sourceUrl.contains("\n"), !sourceUrl.contains("\r")
                else {
                    throw .badRequest("\(jobPath).job.sourceUrl: must be an s3://, https://, http:// or file:// URL of at most 3000 characters, on a MANUAL job.")
                }
            }
            if JobStatus.claimed.contains(job.status) {
                throw .badRequest("\(jobPath).job.status: job \(job.key.jobId) is \(job.status.rawValue); only finished, PENDING or CREATED jobs can be loaded.")
            }
            if JobStatus.active.contains(job.status) { active.append(job.key.jobId) }
        }
        if active.count > 1 {
            throw .badRequest("\(path).jobs: jobs \(active.map(String.init).joined(separator: ", ")) are all in progress; a branch has at most one.")
        }
        if let live = branch.liveJobId, !ids.contains(live) {
            throw .badRequest("\(path).branch.liveJobId: the branch has no job \(live).")
        }
        if let kept = branch.skewProtectedJobs?.first(where: { !ids.contains($0) }) {
            throw .badRequest("\(path).branch.skewProtectedJobs: the branch has no job \(kept).")
        }
    }

    /// The snapshot's app and webhook ids.
    public var appIds: [String] { self.apps.map(\.app.appId) }
    public var webhookIds: [String] { self.apps.flatMap { $0.webhooks.map(\.webhookId) } }

    /// An app id names a site (`<branch>.<appId>.localhost`) and a webhook id a webhook URL whatever the account, so a
    /// load may not take one that another account or region holds (`takenAppIds`, `takenWebhookIds`): a tenant could
    /// otherwise load a document naming another's app and stand in for its site. The error names the member.
    public func requireUnused(takenAppIds: Set<String>, takenWebhookIds: Set<String>) throws(AmplifyError) {
        for (a, state) in self.apps.enumerated() {
            if takenAppIds.contains(state.app.appId) {
                throw .badRequest("apps.\(a + 1).app.appId: app id \(state.app.appId) is taken by another account or region's app.")
            }
            for (w, webhook) in state.webhooks.enumerated() where takenWebhookIds.contains(webhook.webhookId) {
                throw .badRequest("apps.\(a + 1).webhooks.\(w + 1): webhook id \(webhook.webhookId) is taken by another account or region's webhook.")
            }
        }
    }

    /// Loading goes into an account and region that holds no apps (`count` is how many it holds); returns false when
    /// it holds some and the load is to be skipped (`skipIfHeld`) rather than refused.
    public static func requireEmpty(_ scope: Scope, count: Int, skipIfHeld: Bool) throws(AmplifyError) -> Bool {
        if count > 0 {
            if skipIfHeld { return false }
            throw .badRequest(
                "Account \(scope.account) in \(scope.region) already holds \(count) apps: state loads only into an empty one (POST /_amplify-local/reset first)."
            )
        }
        return true
    }
}
