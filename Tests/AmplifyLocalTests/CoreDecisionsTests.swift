import AmplifyCore
import Foundation
import Testing

@testable import AmplifyGit

/// Core's decisions that the follower and both stores carry out (what a git event does, which apps are followed,
/// what a reading records, what a delete or a publish takes with it), without a database.
@Suite struct CoreDecisionsTests {
    let scope = Scope(account: "123456789012", region: "us-east-1")
    let now = Date(timeIntervalSince1970: 1_700_000_000)
    let a = String(repeating: "a", count: 40)
    let b = String(repeating: "b", count: 40)

    func app(_ configure: (inout App) -> Void = { _ in }) -> App {
        var app = App(scope: self.scope, appId: "d1", name: "site", now: self.now)
        app.repository = "/srv/repo"
        configure(&app)
        return app
    }

    func branch(_ name: String, _ configure: (inout Branch) -> Void = { _ in }) -> Branch {
        var branch = Branch(scope: self.scope, appId: "d1", branchName: name, now: self.now)
        configure(&branch)
        return branch
    }

    func commit(_ id: String, _ message: String = "change") -> GitCommit {
        GitCommit(id: id, message: message, time: self.now)
    }

    func action(_ event: GitEvent, app: App? = nil, _ branches: Branch...) -> GitEventAction {
        GitEventAction(
            event, app: app ?? self.app(), branches: Dictionary(uniqueKeysWithValues: branches.map { ($0.branchName, $0) }), now: self.now
        )
    }

    // MARK: What a git event does

    @Test func aPushBuildsItsBranchAndANewGitBranchMatchingThePatternsGetsOne() {
        let push = GitEvent.pushed("feature/x", commit: self.commit(a), newGitBranch: true)
        #expect(self.action(push, self.branch("feature/x")) == .build("feature/x", commit: self.commit(a), first: nil))
        #expect(self.action(push) == .nothing("no branch feature/x in the app"))

        let patterns = self.app {
            $0.enableAutoBranchCreation = true
            $0.autoBranchCreationPatterns = ["feature/*"]
            var config = AutoBranchCreationConfig()
            config.stage = .beta
            config.enableAutoBuild = true
            $0.autoBranchCreationConfig = config
        }
        guard case .build("feature/x", _, .create(let made)?) = self.action(push, app: patterns) else {
            Issue.record("a new git branch matching the patterns is not made")
            return
        }
        #expect(made == Branch.autoCreated("feature/x", app: patterns, now: self.now))
        #expect(made.stage == Stage.beta)
        #expect(made.pullRequest == nil)
        // A git branch that was there before (it moved) gets no branch; nor one outside the patterns.
        #expect(self.action(.pushed("feature/x", commit: self.commit(a), newGitBranch: false), app: patterns) == .nothing("no branch feature/x in the app"))
        #expect(self.action(.pushed("main", commit: self.commit(a), newGitBranch: true), app: patterns) == .nothing("no branch main in the app"))
        #expect(push.branchNames == ["feature/x"])
    }

    @Test func aDeletedGitBranchTakesItsBranchOnlyWithAutomaticDeletionAndNeverAPreview() {
        let deleted = GitEvent.branchDeleted("topic")
        #expect(self.action(deleted, self.branch("topic")) == .nothing("automatic branch deletion is off"))
        let deleting = self.app { $0.enableBranchAutoDeletion = true }
        #expect(self.action(deleted, app: deleting, self.branch("topic")) == .delete("topic", why: "its git branch was deleted"))
        #expect(self.action(deleted, app: deleting) == .nothing("no branch topic to delete"))
        let pullRequest = PullRequest(number: 3, sourceBranch: "topic", destinationBranch: "main", ref: PullRequest.headRef(3))
        let preview = self.branch("pr-3") { $0.pullRequest = pullRequest }
        #expect(self.action(.branchDeleted("pr-3"), app: deleting, preview) == .nothing("no branch pr-3 to delete"))
    }

    @Test func aPullRequestBuildsItsPreviewWhenItsDestinationHasPreviewsOn() {
        let pullRequest = PullRequest(number: 7, sourceBranch: "topic", destinationBranch: "main", ref: PullRequest.headRef(7))
        let event = GitEvent.pullRequestUpdated(pullRequest, commit: self.commit(b))
        #expect(event.branchNames == ["main", "pr-7"])
        #expect(self.action(event) == .nothing("branch main has no pull request previews"))
        #expect(self.action(event, self.branch("main")) == .nothing("branch main has no pull request previews"))

        let main = self.branch("main") {
            $0.enablePullRequestPreview = true
            $0.environmentVariables = ["API": "staging"]
        }
        #expect(self.action(event, main) == .build("pr-7", commit: self.commit(b), first: .create(main.preview(of: pullRequest, now: self.now))))
        // The preview there builds; with another source it is updated first.
        let preview = main.preview(of: pullRequest, now: self.now)
        #expect(self.action(event, main, preview) == .build("pr-7", commit: self.commit(b), first: nil))
        var moved = pullRequest
        moved.sourceBranch = "topic-2"
        #expect(self.action(.pullRequestUpdated(moved, commit: self.commit(b)), main, preview)
            == .build("pr-7", commit: self.commit(b), first: .updatePullRequest(moved)))
        // A branch of the preview's name that is no preview is left alone.
        #expect(self.action(event, main, self.branch("pr-7")) == .nothing("branch pr-7 is not a preview"))
    }

    @Test func aClosedPullRequestTakesItsPreviewOnly() {
        let closed = GitEvent.pullRequestClosed(7)
        #expect(closed.branchNames == ["pr-7"])
        let pullRequest = PullRequest(number: 7, sourceBranch: "topic", destinationBranch: "main", ref: PullRequest.headRef(7))
        #expect(self.action(closed, self.branch("pr-7") { $0.pullRequest = pullRequest }) == .delete("pr-7", why: "its pull request was closed"))
        #expect(self.action(closed, self.branch("pr-7")) == .nothing("no preview pr-7"))
        #expect(self.action(closed) == .nothing("no preview pr-7"))
    }

    @Test func previewBranchesAndTheirRefsAreNamedInOnePlace() {
        #expect(PullRequest.previewBranchName(12) == "pr-12")
        #expect(PullRequest(number: 12, sourceBranch: "s", destinationBranch: "d", ref: "r").branchName == "pr-12")
        #expect(PullRequest.headRef(12) == "refs/pull/12/head")
        #expect(PullRequest.number(ofHeadRef: PullRequest.headRef(12)) == 12)
        for other in ["refs/pull/12/merge", "refs/pull/0/head", "refs/pull/-1/head", "refs/pull/x/head", "refs/heads/pull/12/head"] {
            #expect(PullRequest.number(ofHeadRef: other) == nil, "\(other)")
        }
        var refs = GitRefs()
        refs.add(ref: PullRequest.headRef(12), commit: a)
        #expect(refs.pullRequests == [12: a])
    }

    @Test func readingsBecomeEventsWithTheirCommits() async {
        let refs = GitRefs(branches: ["main": a, "topic": b], pullRequests: [4: b], defaultBranch: "main")
        var read: [String] = []
        func event(_ change: GitRefs.Change, in refs: GitRefs) async -> GitEvent? {
            await GitEvent(change, in: refs) { id in
                read.append(id)
                return self.commit(id, "read")
            }
        }
        #expect(await event(.branchCreated("topic", commit: b), in: refs) == .pushed("topic", commit: self.commit(b, "read"), newGitBranch: true))
        #expect(await event(.branchMoved("main", commit: a), in: refs) == .pushed("main", commit: self.commit(a, "read"), newGitBranch: false))
        #expect(await event(.branchDeleted("old"), in: refs) == .branchDeleted("old"))
        #expect(await event(.pullRequestClosed(4), in: refs) == .pullRequestClosed(4))
        // A pull request ref names no source: the branch at its commit, else pull/<n>; it targets the default branch.
        let fromTopic = PullRequest(number: 4, sourceBranch: "topic", destinationBranch: "main", ref: "refs/pull/4/head")
        #expect(await event(.pullRequestUpdated(4, commit: b), in: refs) == .pullRequestUpdated(fromTopic, commit: self.commit(b, "read")))
        #expect(refs.pullRequest(5, at: String(repeating: "c", count: 40))?.sourceBranch == "pull/5")
        #expect(read == [b, a, b])
        // Without a default branch nothing names the destination: no event, and no commit read for it.
        #expect(await event(.pullRequestUpdated(4, commit: b), in: GitRefs(branches: ["topic": b])) == nil)
        #expect(read == [b, a, b])
    }

    @Test func gitHostsNotificationsAreTheSameEvents() {
        let commit = self.commit(a)
        #expect(GitHubEvent.push(branch: "main", commit: commit, deleted: false).gitEvent { _ in true }
            == .pushed("main", commit: commit, newGitBranch: false))
        #expect(GitHubEvent.push(branch: "new", commit: commit, deleted: false).gitEvent { _ in false }
            == .pushed("new", commit: commit, newGitBranch: true))
        #expect(GitHubEvent.push(branch: "gone", commit: commit, deleted: true).gitEvent { _ in true } == .branchDeleted("gone"))
        let pullRequest = PullRequest(number: 2, sourceBranch: "topic", destinationBranch: "main", ref: "refs/heads/topic")
        #expect(GitHubEvent.pullRequest(pullRequest, commit: commit, closed: false).gitEvent { _ in true }
            == .pullRequestUpdated(pullRequest, commit: commit))
        #expect(GitHubEvent.pullRequest(pullRequest, commit: nil, closed: true).gitEvent { _ in true } == .pullRequestClosed(2))
        #expect(GitHubEvent.pullRequest(pullRequest, commit: commit, closed: true).gitEvent { _ in true } == .pullRequestClosed(2))
        #expect(GitHubEvent.ignored("event ping").gitEvent { _ in true } == nil)
    }

    // MARK: Which apps are followed, and what a reading records

    @Test func appsWithARepositoryAreFollowedFromTheReadingOfThatRepository() {
        let refs = GitRefs(branches: ["main": a])
        #expect(FollowedRepository(app: self.app { $0.repository = nil }, recordedRepository: nil, recordedRefs: nil) == nil)
        #expect(FollowedRepository(app: self.app { $0.repository = "" }, recordedRepository: "", recordedRefs: refs) == nil)
        #expect(FollowedRepository(app: self.app(), recordedRepository: "/srv/repo", recordedRefs: refs)?.refs == refs)
        // The app's repository changed: the reading of the old one does not count (the next one starts over).
        #expect(FollowedRepository(app: self.app(), recordedRepository: "/srv/old", recordedRefs: refs)?.refs == nil)
        #expect(FollowedRepository(app: self.app(), recordedRepository: nil, recordedRefs: nil)?.refs == nil)
    }

    @Test func aReadingIsRecordedOnlyOverTheOneItWasComparedWith() {
        let old = GitRefs(branches: ["main": a])
        let followed = FollowedRepository(app: self.app(), refs: old)
        #expect(followed.records(readingOf: "/srv/repo", expected: old))
        #expect(!followed.records(readingOf: "/srv/repo", expected: nil))  // a first reading, but one is recorded
        #expect(!followed.records(readingOf: "/srv/repo", expected: GitRefs(branches: ["main": b])))  // another got there first
        #expect(!followed.records(readingOf: "/srv/other", expected: old))  // the app's repository changed meanwhile
        #expect(FollowedRepository(app: self.app(), refs: nil).records(readingOf: "/srv/repo", expected: nil))
    }

    @Test func whatANewReadingDoes() {
        let old = GitRefs(branches: ["main": a], defaultBranch: "main")
        let new = GitRefs(branches: ["main": b], defaultBranch: "main")
        #expect(RefsReading(new, after: nil) == .first)
        #expect(RefsReading(old, after: old) == .ignored)
        #expect(RefsReading(GitRefs(defaultBranch: "main"), after: old) == .ignored)  // no branches: not believed
        #expect(RefsReading(new, after: old) == .changed(from: old, changes: [.branchMoved("main", commit: b)]))
    }

    // MARK: What a delete or a publish takes with it

    func domain(_ name: String, _ subdomains: [(prefix: String, branch: String)]) -> DomainAssociation {
        var domain = DomainAssociation(scope: self.scope, appId: "d1", domainName: name, now: self.now)
        domain.subDomainSettings = subdomains.map { DomainAssociation.SubDomainSetting(prefix: $0.prefix, branchName: $0.branch) }
        return domain
    }

    func secret(_ name: String, branch: String?) -> BuildSecret {
        BuildSecret(scope: self.scope, appId: "d1", branchName: branch, name: name, updatedAt: self.now)
    }

    @Test func deletingABranchTakesItsSubdomainsTheProductionBranchAndItsOwnSecrets() {
        let app = self.app { $0.productionBranch = ProductionBranch(branchName: "dev", lastDeployTime: self.now) }
        let both = self.domain("example.com", [("www", "main"), ("dev", "dev")])
        let other = self.domain("example.org", [("", "main")])
        let secrets = [
            self.secret("TOKEN", branch: nil), self.secret("TOKEN", branch: "dev"), self.secret("KEY", branch: "dev"),
            self.secret("TOKEN", branch: "dev/x"), self.secret("TOKEN", branch: "main"),
        ]
        let deletion = BranchDeletion(deleting: "dev", from: app, domainAssociations: [both, other], secrets: secrets)
        #expect(deletion.app?.productionBranch == nil && deletion.app?.appId == "d1")
        #expect(deletion.domainAssociations.map(\.domainName) == ["example.com"])
        #expect(deletion.domainAssociations.first?.subDomainSettings.map(\.branchName) == ["main"])
        // Its own secrets only: not the app's, nor those of a branch whose name starts with its.
        #expect(deletion.secrets == [self.secret("TOKEN", branch: "dev"), self.secret("KEY", branch: "dev")])

        let untouched = BranchDeletion(deleting: "feature", from: app, domainAssociations: [both, other], secrets: secrets)
        #expect(untouched.app == nil && untouched.domainAssociations.isEmpty && untouched.secrets.isEmpty)
    }

    @Test func deletingTheLiveJobTakesTheSiteAndTheProductionBranchDown() throws {
        var branch = self.branch("main")
        var job = try branch.startJob(JobRequest(jobType: .release), app: self.app(), retried: nil, activeJobId: nil, now: self.now)
        #expect(throws: AmplifyError.self) { try JobDeletion(deleting: job, from: branch, of: self.app()) }
        try job.apply(.claim, at: self.now)
        try job.apply(.run, at: self.now)
        let publication = try #require(SitePublication(publishing: job, on: branch, of: self.app(), now: self.now))
        branch = publication.branch
        let app = try #require(publication.app)
        try job.apply(.succeed, at: self.now)
        #expect(branch.liveJobId == 1 && app.productionBranch?.branchName == "main")

        let deletion = try JobDeletion(deleting: job, from: branch, of: app)
        #expect(deletion.branch?.liveJobId == nil && deletion.app?.productionBranch == nil)
        // A job that is not the live one changes neither.
        var old = job
        old.key.jobId = 7
        let quiet = try JobDeletion(deleting: old, from: branch, of: app)
        #expect(quiet.branch == nil && quiet.app == nil)
    }

    @Test func publishingMakesTheBranchLiveAndTheProductionBranchAsAWSDoes() throws {
        var branch = self.branch("feature")
        var job = try branch.startJob(JobRequest(jobType: .release), app: self.app(), retried: nil, activeJobId: nil, now: self.now)
        #expect(SitePublication(publishing: job, on: branch, of: self.app(), now: self.now) == nil)  // not running
        try job.apply(.claim, at: self.now)
        try job.apply(.run, at: self.now)
        let production = self.app { $0.productionBranch = ProductionBranch(branchName: "main", lastDeployTime: self.now) }
        let beside = try #require(SitePublication(publishing: job, on: branch, of: production, now: self.now))
        #expect(beside.branch.liveJobId == 1 && beside.branch.lastDeployTime == self.now && beside.app == nil)
        branch.stage = .production
        let promoted = try #require(SitePublication(publishing: job, on: branch, of: production, now: self.now))
        #expect(promoted.app?.productionBranch?.branchName == "feature")
    }
}
