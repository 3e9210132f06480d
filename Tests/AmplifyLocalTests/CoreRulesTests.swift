import AmplifyCore
import Foundation
import Testing

/// The rules both stores call (Core decides, stores persist), without a database.
@Suite struct CoreRulesTests {
    let scope = Scope(account: "123456789012", region: "us-east-1")
    let now = Date(timeIntervalSince1970: 1_700_000_000)

    func app(repository: String? = "/srv/repo") -> App {
        var app = App(scope: self.scope, appId: "d1", name: "site", now: self.now)
        app.repository = repository
        return app
    }

    func branch(_ name: String = "main") -> Branch {
        Branch(scope: self.scope, appId: "d1", branchName: name, now: self.now)
    }

    // MARK: Job sequence

    @Test func startJobCountsIdsAndRefusesASecondActiveJob() throws {
        var branch = self.branch()
        let first = try branch.startJob(JobRequest(jobType: .release), app: self.app(), retried: nil, activeJobId: nil, now: self.now)
        #expect(first.key.jobId == 1)
        #expect(first.status == .pending)
        #expect(branch.totalNumberOfJobs == 1 && branch.activeJobId == 1)

        let before = branch
        #expect(throws: AmplifyError.limitExceeded("The requested branch main already have pending or running jobs")) {
            try branch.startJob(JobRequest(jobType: .release), app: self.app(), retried: nil, activeJobId: 1, now: self.now)
        }
        #expect(branch == before)

        let second = try branch.startJob(JobRequest(jobType: .release), app: self.app(), retried: nil, activeJobId: nil, now: self.now)
        #expect(second.key.jobId == 2)
    }

    @Test func retryBuildsTheRetriedCommitAndNeedsTheJob() throws {
        var branch = self.branch()
        var old = try branch.startJob(
            JobRequest(jobType: .release, commitId: "abc", commitMessage: "fix"), app: self.app(), retried: nil, activeJobId: nil, now: self.now
        )
        old.status = .failed
        let retry = JobRequest(jobType: .retry, jobId: 1)
        #expect(retry.retriedJobId == 1)
        #expect(JobRequest(jobType: .release, jobId: 1).retriedJobId == nil)
        let job = try branch.startJob(retry, app: self.app(), retried: old, activeJobId: nil, now: self.now)
        #expect(job.key.jobId == 2 && job.commitId == "abc" && job.commitMessage == "fix" && job.jobType == .retry)
        #expect(throws: AmplifyError.jobNotFound("7")) {
            try branch.startJob(JobRequest(jobType: .retry, jobId: 7), app: self.app(), retried: nil, activeJobId: nil, now: self.now)
        }
    }

    @Test func releaseNeedsARepository() {
        var branch = self.branch()
        #expect(throws: AmplifyError.self) {
            try branch.startJob(JobRequest(jobType: .release), app: self.app(repository: nil), retried: nil, activeJobId: nil, now: self.now)
        }
        #expect(branch.totalNumberOfJobs == 0)
    }

    @Test func deploymentsTakeTheNextIdOnAppsWithoutRepository() throws {
        var branch = self.branch()
        branch.totalNumberOfJobs = 4
        #expect(throws: AmplifyError.badRequest("Operation not supported. App is already connected a repository.")) {
            try branch.createDeployment(app: self.app(), activeJobId: nil, sourceUrl: nil, sourceUrlType: nil, now: self.now)
        }
        #expect(throws: Job.deploymentBusy(4)) {
            try branch.createDeployment(app: self.app(repository: nil), activeJobId: 4, sourceUrl: nil, sourceUrlType: nil, now: self.now)
        }
        let upload = try branch.createDeployment(app: self.app(repository: nil), activeJobId: nil, sourceUrl: nil, sourceUrlType: nil, now: self.now)
        #expect(upload.key.jobId == 5 && upload.status == .created && upload.jobType == .manual)
        let fromURL = try branch.createDeployment(
            app: self.app(repository: ""), activeJobId: nil, sourceUrl: "https://example.com/site.zip", sourceUrlType: nil, now: self.now
        )
        #expect(fromURL.key.jobId == 6 && fromURL.status == .pending && fromURL.sourceUrlType == .zip)
        #expect(branch.activeJobId == 6)
    }

    @Test func deletingAJobNeedsItFinishedAndTakesItsSiteDown() throws {
        var branch = self.branch()
        var job = try branch.startJob(JobRequest(jobType: .release), app: self.app(), retried: nil, activeJobId: nil, now: self.now)
        #expect(throws: AmplifyError.badRequest("Job 1 is PENDING and cannot be deleted. Stop the job first.")) { try branch.deleteJob(job) }
        try job.stop(at: self.now)
        #expect(throws: AmplifyError.badRequest("Job 1 is still stopping (CANCELLING) and cannot be deleted yet.")) { try branch.deleteJob(job) }

        job.status = .running
        let wentLive = branch.publish(job, now: self.now)
        #expect(wentLive)
        #expect(branch.liveJobId == 1 && branch.lastDeployTime == self.now)
        job.status = .succeed
        let siteWentDown = try branch.deleteJob(job)
        #expect(siteWentDown)
        #expect(branch.liveJobId == nil)
        let siteWentDown2 = try branch.deleteJob(job)
        #expect(siteWentDown2 == false)
    }

    @Test func skewProtectionKeepsTheLastFiveDeploymentsMadeWithItOn() throws {
        var branch = self.branch()
        var jobs: [Job] = []
        func deploy() throws {
            var job = try branch.startJob(JobRequest(jobType: .release), app: self.app(), retried: nil, activeJobId: nil, now: self.now)
            job.status = .running
            _ = branch.publish(job, now: self.now)
            job.status = .succeed
            jobs.append(job)
        }
        try deploy()  // made before protection: never served by name
        branch.enableSkewProtection = true
        for _ in 0..<6 { try deploy() }
        #expect(branch.liveJobId == 7 && branch.skewProtectedJobIds == [7, 6, 5, 4, 3])
        #expect(branch.skewProtectedJob(named: "main-3") == 3)
        #expect(branch.skewProtectedJob(named: "main-7") == nil)  // the live one: served as such
        for name in ["main-2", "main-1", "main-x", "other-4", "main-", "4"] {
            #expect(branch.skewProtectedJob(named: name) == nil)
        }
        // DeleteJob of a kept deployment: served no more.
        let siteWentDown = try branch.deleteJob(jobs[3])
        #expect(siteWentDown == false && branch.skewProtectedJobIds == [7, 6, 5, 3])
        #expect(branch.skewProtectedJob(named: "main-4") == nil)
        // Turned off: nothing is served by name; a deployment made while off starts afresh.
        branch.enableSkewProtection = false
        #expect(branch.skewProtectedJob(named: "main-5") == nil)
        try deploy()
        branch.enableSkewProtection = true
        #expect(branch.skewProtectedJobIds == [])
    }

    @Test func aDomainsSubdomainsServeTheirBranchesOnceAvailable() {
        #expect(DomainAssociation.names(under: "a.b.example.com") == ["a.b.example.com", "b.example.com", "example.com"])
        #expect(DomainAssociation.names(under: "localhost") == [] && DomainAssociation.names(under: "a..com") == [])
        var domain = DomainAssociation(scope: self.scope, appId: "d1", domainName: "Example.com", now: self.now)
        domain.subDomainSettings = [.init(prefix: "www", branchName: "main"), .init(prefix: "", branchName: "apex")]
        #expect(domain.branchName(serving: "www.example.com", at: self.now) == nil)  // CREATING
        let later = self.now.addingTimeInterval(10)
        #expect(domain.branchName(serving: "www.example.com", at: later) == "main")
        #expect(domain.branchName(serving: "example.com", at: later) == "apex")
        #expect(domain.branchName(serving: "dev.example.com", at: later) == nil)
        #expect(domain.branchName(serving: "www.example.com.evil.org", at: later) == nil)
        domain.outcome = .failed(reason: "no")
        #expect(domain.branchName(serving: "www.example.com", at: later) == nil)
    }

    @Test func anUpdateKeepsServingTheSubdomainsItKeptAndStopsTheRemovedOnesAtOnce() {
        var domain = DomainAssociation(scope: self.scope, appId: "d1", domainName: "example.com", now: self.now)
        domain.subDomainSettings = [.init(prefix: "www", branchName: "main"), .init(prefix: "dev", branchName: "dev")]
        let available = self.now.addingTimeInterval(10)
        var updated = domain
        updated.subDomainSettings = [.init(prefix: "www", branchName: "main"), .init(prefix: "new", branchName: "dev")]
        updated.restartWalk(after: domain, now: available)
        #expect(updated.phase(at: available) == .updating)
        #expect(updated.branchName(serving: "www.example.com", at: available) == "main")
        #expect(updated.branchName(serving: "dev.example.com", at: available) == nil)
        #expect(updated.branchName(serving: "new.example.com", at: available) == nil)
        #expect(updated.branchName(serving: "new.example.com", at: available.addingTimeInterval(10)) == "dev")
        // An update before the association was ever AVAILABLE has nothing to keep serving.
        var early = domain
        early.restartWalk(after: domain, now: self.now)
        #expect(early.branchName(serving: "www.example.com", at: self.now) == nil)
        // A deleted branch takes its subdomains out of what an update keeps serving too.
        let removed = updated.removeSubdomains(pointingAt: "main")
        #expect(removed)
        #expect(updated.branchName(serving: "www.example.com", at: available) == nil)
    }

    @Test func onlyARunningJobPublishes() throws {
        var branch = self.branch()
        var job = try branch.startJob(JobRequest(jobType: .release), app: self.app(), retried: nil, activeJobId: nil, now: self.now)
        for status in [JobStatus.pending, .cancelling, .failed, .cancelled, .succeed] {
            job.status = status
            let wentLive = branch.publish(job, now: self.now)
            #expect(wentLive == false)
        }
        #expect(branch.liveJobId == nil)
    }

    @Test func stoppedJobsNobodyClaimedAreCancelledWhereTheStopArrives() throws {
        var branch = self.branch()
        var job = try branch.startJob(JobRequest(jobType: .release), app: self.app(), retried: nil, activeJobId: nil, now: self.now)
        let cancelled = try job.cancelIfUnclaimed(claimedBy: nil, at: self.now)
        #expect(cancelled == false)
        try job.stop(at: self.now)
        let cancelled2 = try job.cancelIfUnclaimed(claimedBy: "node-a", at: self.now)
        #expect(cancelled2 == false)
        #expect(job.status == .cancelling)
        let cancelled3 = try job.cancelIfUnclaimed(claimedBy: nil, at: self.now)
        #expect(cancelled3)
        #expect(job.status == .cancelled && job.endTime == self.now)
    }

    @Test func keepsBuildingOnlyWhileProvisioningOrRunning() {
        #expect(JobStatus.allCases.filter(\.keepsBuilding) == [.provisioning, .running])
        #expect(JobStatus.claimed.allSatisfy { JobStatus.active.contains($0) })
    }

    // MARK: Sites

    @Test func productionBranchRules() {
        var app = self.app()
        var staging = self.branch("staging")
        staging.stage = .beta
        let main = self.branch("main")
        var production = self.branch("prod")
        production.stage = .production

        let becameProduction = app.published(staging, now: self.now)

        #expect(becameProduction)
        #expect(app.productionBranch?.branchName == "staging")
        let becameProduction2 = app.published(main, now: self.now)
        #expect(becameProduction2 == false)
        let becameProduction3 = app.published(staging, now: self.now.addingTimeInterval(5))
        #expect(becameProduction3)
        #expect(app.productionBranch?.lastDeployTime == self.now.addingTimeInterval(5))
        let becameProduction4 = app.published(production, now: self.now)
        #expect(becameProduction4)
        #expect(app.productionBranch?.branchName == "prod")

        let tookDown = app.tookDown(branchName: "staging")

        #expect(tookDown == false)
        let tookDown2 = app.tookDown(branchName: "prod")
        #expect(tookDown2)
        #expect(app.productionBranch == nil)
    }

    @Test func siteHostsNameBranchesByDisplayName() {
        var app = self.app()
        var feature = self.branch("feature/x")
        feature.displayName = "feature-x"
        let main = self.branch("main")
        let branches = [main, feature]
        #expect(app.siteBranch(displayName: "feature-x", among: branches)?.branchName == "feature/x")
        #expect(app.siteBranch(displayName: "nope", among: branches) == nil)
        #expect(app.siteBranch(displayName: nil, among: branches) == nil)
        _ = app.published(feature, now: self.now)
        #expect(app.siteBranch(displayName: nil, among: branches)?.branchName == "feature/x")
        #expect(app.siteBranch(displayName: nil, among: [main]) == nil)
    }

    // MARK: Creation rules

    @Test func domainAssociationsBelongToOneAppAndPointAtBranches() throws {
        var domain = DomainAssociation(scope: self.scope, appId: "d1", domainName: "example.com", now: self.now)
        domain.subDomainSettings = [.init(prefix: "www", branchName: "main"), .init(prefix: "dev", branchName: "dev")]
        let quotas = Quotas()
        #expect(throws: AmplifyError.badRequest("A subdomain cannot point to a non-existent branch")) {
            try domain.requireCreatable(owner: nil, branchNames: ["main"], count: 0, quotas: quotas)
        }
        #expect(throws: AmplifyError.badRequest("Domain example.com is already associated with this app.")) {
            try domain.requireCreatable(owner: "d1", branchNames: ["main", "dev"], count: 1, quotas: quotas)
        }
        #expect(throws: AmplifyError.badRequest("One or more domains requested are already associated with another Amplify app: example.com")) {
            try domain.requireCreatable(owner: "d2", branchNames: ["main", "dev"], count: 0, quotas: quotas)
        }
        #expect(throws: AmplifyError.limitExceeded("The number of domains in app d1 has reached its quota of 5.")) {
            try domain.requireCreatable(owner: nil, branchNames: ["main", "dev"], count: 5, quotas: quotas)
        }
        try domain.requireCreatable(owner: nil, branchNames: ["main", "dev"], count: 4, quotas: quotas)

        let removed = domain.removeSubdomains(pointingAt: "dev")

        #expect(removed)
        #expect(domain.subDomainSettings == [.init(prefix: "www", branchName: "main")])
        let removed2 = domain.removeSubdomains(pointingAt: "dev")
        #expect(removed2 == false)
    }

    @Test func namesAndQuotas() throws {
        let quotas = Quotas(appsPerRegion: 2, branchesPerApp: 3, domainsPerApp: 1, webhooksPerApp: 1)
        try App.requireCreatable(count: 1, quotas: quotas)
        #expect(throws: AmplifyError.limitExceeded("The number of apps in this account and region has reached its quota of 2.")) {
            try App.requireCreatable(count: 2, quotas: quotas)
        }
        let branch = self.branch()
        #expect(throws: AmplifyError.badRequest("Branch main already exists.")) { try branch.requireCreatable(nameTaken: true, count: 0, quotas: quotas) }
        #expect(throws: AmplifyError.limitExceeded("The number of branches in app d1 has reached its quota of 3.")) {
            try branch.requireCreatable(nameTaken: false, count: 3, quotas: quotas)
        }
        let webhook = Webhook(scope: self.scope, appId: "d1", branchName: "main", description: "", now: self.now)
        try webhook.requireCreatable(count: 0, quotas: quotas)
        #expect(throws: AmplifyError.self) { try webhook.requireCreatable(count: 1, quotas: quotas) }
        let environment = BackendEnvironment(
            scope: self.scope, appId: "d1", environmentName: "prod", stackName: nil, deploymentArtifacts: nil, now: self.now
        )
        try environment.requireCreatable(nameTaken: false)
        #expect(throws: AmplifyError.badRequest("Backend environment prod already exists.")) { try environment.requireCreatable(nameTaken: true) }
    }

    // MARK: Outcomes and state

    @Test func domainOutcomesStopOrFailTheWalk() {
        var domain = DomainAssociation(scope: self.scope, appId: "d1", domainName: "example.com", now: self.now)
        let later = { (seconds: Double) in self.now.addingTimeInterval(seconds) }
        #expect(domain.phase(at: later(10)) == .available)
        domain.outcome = .stopAt(.pendingVerification)
        #expect(domain.phase(at: later(0)) == .creating)
        #expect(domain.phase(at: later(10)) == .pendingVerification)
        domain.outcome = .failed(reason: "CNAME not found")
        #expect(domain.phase(at: later(1)) == .pendingVerification && domain.statusReason(at: later(1)) == nil)
        #expect(domain.phase(at: later(10)) == .failed && domain.statusReason(at: later(10)) == "CNAME not found")
        domain.updated = true
        #expect(domain.phase(at: later(0)) == .updating && domain.phase(at: later(10)) == .failed)
    }

    @Test func stateSnapshotsKeepTheAPIsRules() throws {
        var branch = self.branch()
        var job = try branch.startJob(JobRequest(jobType: .release), app: self.app(), retried: nil, activeJobId: nil, now: self.now)
        let valid = StateSnapshot(apps: [.init(app: self.app(), branches: [.init(branch: branch, jobs: [.init(job: job)])])])
        try valid.validate(quotas: Quotas())

        var running = valid
        job.status = .running
        running.apps[0].branches[0].jobs[0].job = job
        #expect(throws: AmplifyError.badRequest(
            "apps.1.branches.1.jobs.1.job.status: job 1 is RUNNING; only finished, PENDING or CREATED jobs can be loaded."
        )) { try running.validate(quotas: Quotas()) }

        var beyond = valid
        beyond.apps[0].branches[0].branch.totalNumberOfJobs = 0
        #expect(throws: AmplifyError.self) { try beyond.validate(quotas: Quotas()) }

        var twice = valid
        twice.apps.append(valid.apps[0])
        #expect(throws: AmplifyError.badRequest("apps.2.app.appId: app d1 is there twice.")) { try twice.validate(quotas: Quotas()) }

        var production = valid
        production.apps[0].app.productionBranch = ProductionBranch(branchName: "gone", lastDeployTime: self.now)
        #expect(throws: AmplifyError.badRequest("apps.1.app.productionBranch: the app has no branch gone.")) { try production.validate(quotas: Quotas()) }

        #expect(throws: AmplifyError.self) { try valid.validate(quotas: Quotas(appsPerRegion: 0)) }
        let moved = valid.moved(to: Scope(account: "111111111111", region: "eu-west-1"))
        #expect(moved.scopes == [Scope(account: "111111111111", region: "eu-west-1")])
        #expect(moved.apps[0].branches[0].jobs[0].job.key.scope.region == "eu-west-1")
        try moved.validate(quotas: Quotas())
        #expect(try StateSnapshot.requireEmpty(self.scope, count: 1, skipIfHeld: true) == false)
        #expect(throws: AmplifyError.self) { try StateSnapshot.requireEmpty(self.scope, count: 1, skipIfHeld: false) }
    }

    @Test func environmentVariablesClearWithOneSpaceKeyAndRefuseAnEmptyOne() throws {
        var variables = ["A": "1"]
        try EnvironmentVariables.apply(nil, to: &variables)
        try EnvironmentVariables.apply([:], to: &variables)
        #expect(variables == ["A": "1"])
        #expect(throws: AmplifyError.badRequest("Environment variables cannot have an empty key.")) {
            try EnvironmentVariables.apply(["": ""], to: &variables)
        }
        #expect(variables == ["A": "1"])
        try EnvironmentVariables.apply(["B": "2"], to: &variables)
        #expect(variables == ["B": "2"])
        try EnvironmentVariables.apply([" ": ""], to: &variables)
        #expect(variables.isEmpty)

        var app = self.app()
        app.fillAutoBranchCreationConfig()
        #expect(app.autoBranchCreationConfig == nil)
        app.enableAutoBranchCreation = true
        app.fillAutoBranchCreationConfig()
        #expect(app.autoBranchCreationConfig?.stage == Stage.none)
    }

    @Test func logsAreStoredInSmallPiecesCutBetweenCharacters() {
        let text = String(repeating: "é🚀x", count: 10_000)
        let pieces = StepLog(step: "BUILD", text: text).pieces(maxBytes: 1000)
        #expect(pieces.joined() == text)
        #expect(pieces.allSatisfy { $0.utf8.count <= 1000 && !$0.isEmpty })
        #expect(pieces.count >= text.utf8.count / 1000)
        #expect(StepLog(step: "BUILD", text: "short").pieces(maxBytes: 1000) == ["short"])
    }

    // MARK: Paging

    @Test func pagesResumeAfterTheLastItemShown() throws {
        let full = Page(fetched: [(10, "a"), (20, "b"), (30, "c")], limit: 2, list: .webhooks)
        #expect(full.items == ["a", "b"])
        let token = try PageToken(decoding: try #require(full.nextToken), list: .webhooks)
        #expect(token.position == 20)
        #expect(throws: AmplifyError.badRequest("Invalid nextToken.")) { try PageToken(decoding: full.nextToken!, list: .apps) }
        let last = Page(fetched: [(10, "a"), (20, "b")], limit: 2, list: .webhooks)
        #expect(last.items == ["a", "b"] && last.nextToken == nil)
    }
}
