import Foundation

/// Where the service keeps its state. Each requirement is one use case and one transaction.
///
/// Implementations throw `AmplifyError` for what the client did wrong (NotFoundException for a
/// missing app, branch or job; LimitExceededException for a busy branch) and change nothing then.
///
/// An implementation decides nothing itself: it loads (and locks) what a use case reads, asks Core's rules
/// (`Branch.startJob`, `App.published`, `DomainAssociation.requireCreatable`, …), and saves what they changed.
///
/// The `update` closures the requirements take may run more than once for one call: PostgreSQL runs a
/// transaction again when it aborts it for a concurrent one. They must change only the value they are given.
public protocol Store: Sendable {
    /// Stores a new app.
    func createApp(_ app: App) async throws
    /// The app, or NotFoundException.
    func app(_ scope: Scope, appId: String) async throws -> App
    /// The scope's apps in creation order.
    func listApps(_ scope: Scope, after token: PageToken?, limit: Int) async throws -> Page<App>
    /// Changes the app with `update` and stores it; returns the stored app.
    func updateApp(_ scope: Scope, appId: String, _ update: @Sendable (inout App) throws -> Void) async throws -> App
    /// Removes the app with its branches, jobs and logs; returns the app as it was.
    func deleteApp(_ scope: Scope, appId: String) async throws -> App

    /// Stores a new branch of an existing app; a second branch of the same name is BadRequestException.
    func createBranch(_ branch: Branch) async throws
    /// The branch, or NotFoundException for it or its app.
    func branch(_ scope: Scope, appId: String, branchName: String) async throws -> Branch
    /// The app's branches in creation order.
    func listBranches(_ scope: Scope, appId: String, after token: PageToken?, limit: Int) async throws -> Page<Branch>
    /// Changes the branch with `update` and stores it; returns the stored branch.
    func updateBranch(_ scope: Scope, appId: String, branchName: String, _ update: @Sendable (inout Branch) throws -> Void) async throws -> Branch
    /// Removes the branch with its jobs and logs; returns the branch as it was.
    func deleteBranch(_ scope: Scope, appId: String, branchName: String) async throws -> Branch

    /// Adds the branch's next job, made by `request.makeJob`, unless the branch has an active job
    /// (LimitExceededException). Job ids count up per branch and are never reused.
    func startJob(_ scope: Scope, appId: String, branchName: String, _ request: JobRequest, now: Date) async throws -> Job
    /// The job, or NotFoundException for it, its branch or its app.
    func job(_ key: JobKey) async throws -> Job
    /// The branch's jobs, newest first.
    func listJobs(_ scope: Scope, appId: String, branchName: String, after token: PageToken?, limit: Int) async throws -> Page<Job>
    /// Changes the job with `update` and stores it, with `log` appended to a step's log in the same
    /// transaction; returns the stored job.
    func updateJob(_ key: JobKey, log: StepLog?, _ update: @Sendable (inout Job) throws -> Void) async throws -> Job
    /// Removes a finished job and its logs (`Job.requireDeletable`); returns the job as it was.
    func deleteFinishedJob(_ key: JobKey) async throws -> Job
    /// Takes the oldest PENDING job for `node` to build, moving it to PROVISIONING with a lease that runs
    /// until `leaseUntil`; nil when none waits. However many nodes ask at once, each job goes to one.
    func claimNextPendingJob(node: String, leaseUntil: Date, now: Date) async throws -> Job?
    /// How many jobs of every account and region wait in PENDING for a build (the metrics' queue).
    func pendingJobCount() async throws -> Int
    /// Extends the leases of the jobs `node` builds to `until`; returns those it should go on building
    /// (PROVISIONING or RUNNING: not stopped, deleted or finished by another node meanwhile).
    func renewLeases(node: String, until: Date) async throws -> Set<JobKey>
    /// Ends the jobs in progress whose lease ran out before `leaseEnd` (their node stopped or died), and those
    /// claimed under the name `node` (a node starting again under its name): FAILED with `reason`, or CANCELLED
    /// if a stop was asked for. Returns how many there were.
    func finishAbandonedJobs(leaseEndedBefore leaseEnd: Date, orClaimedBy node: String?, reason: String, now: Date) async throws -> Int
    /// Ends a job stopped before any node claimed it (CANCELLING, never built) as CANCELLED; a job that a
    /// node builds is left to that node.
    func cancelUnclaimedJob(_ key: JobKey, now: Date) async throws

    /// A push reached the branch (or a job of it ended: `.followUp`): `Branch.receive` decides whether a WEB_HOOK job
    /// starts, the push waits for the job in progress, or nothing builds; in one transaction, so a push builds once
    /// however many nodes and notifications report it.
    func receivePush(_ scope: Scope, appId: String, branchName: String, _ push: Push, now: Date) async throws -> PushOutcome
    /// The apps with a repository that `node` follows from now until `leaseUntil`: those whose lease is free, ran out
    /// or is `node`'s already (so one node at a time reads each repository), with the refs last recorded for each.
    func claimFollowedRepositories(node: String, leaseUntil: Date, now: Date) async throws -> [FollowedRepository]
    /// The app's branches with a push waiting for the job in progress (`Branch.pendingPush`), found without reading
    /// every branch.
    func branchesWithPendingPush(_ scope: Scope, appId: String) async throws -> [Branch]
    /// Records `refs` as read from the app's `repository`, if what is recorded is still `expected` and the app still has
    /// that repository; false (and nothing recorded) otherwise: another reader got there first.
    func recordRefs(_ scope: Scope, appId: String, repository: String, refs: GitRefs, expected: GitRefs?) async throws -> Bool

    /// Adds the branch's next job as a manual deployment (`Job.deployment`): CREATED for uploads, or
    /// PENDING with `sourceUrl`. The app must have no repository and the branch no unfinished job.
    func createDeployment(_ scope: Scope, appId: String, branchName: String, sourceUrl: String?, sourceUrlType: SourceUrlType?, now: Date) async throws -> Job

    /// Makes the job's site the one its branch serves (at the end of its DEPLOY step): sets the branch's
    /// live job and deploy time, and the app's production branch when it has none yet or the branch's
    /// stage is PRODUCTION. Only while the job is still in progress; returns whether it went live.
    func publishSite(_ key: JobKey, now: Date) async throws -> Bool
    /// The app and branch that a site host names (`<displayName>.<appId>`; without a display name, the
    /// app's production branch), or nil when there is none.
    func site(appId: String, displayName: String?) async throws -> (app: App, branch: Branch)?
    /// A number that changes with every write, when this server alone writes the store (SQLite); nil when other
    /// servers write it too (PostgreSQL). What a server derives from reads made at one generation may be kept for as
    /// long as the generation has not changed: it then changes before any later write is acknowledged.
    var writeGeneration: Int? { get }

    /// The log of one step of a job after its first `offset` bytes (UTF-8), read from the chunks that hold them only,
    /// with the log's whole size: a client following a growing log costs the same at 1 KB as at 50 MB. Nil when
    /// the job or the log does not exist.
    func log(_ key: JobKey, step: String, from offset: Int) async throws -> StepLogTail?

    /// Records the files a job's TEST step collected, in order, replacing what it recorded before; NotFound when the
    /// job is gone.
    func recordTestArtifacts(_ key: JobKey, _ artifacts: [TestArtifact]) async throws
    /// A job's test files of the given kinds, in the order they were recorded; NotFound for the job, branch or app.
    func testArtifacts(_ key: JobKey, kinds: Set<TestArtifact.Kind>, after token: PageToken?, limit: Int) async throws -> Page<TestArtifact>
    /// The test file with this id among the jobs of `scope`, with its job; NotFound otherwise.
    func testArtifact(_ scope: Scope, artifactId: String) async throws -> (key: JobKey, artifact: TestArtifact)

    /// Sets a secret of an existing app (for the app, or one branch of it by name) to a sealed value, replacing one of
    /// the same name; NotFound for the app.
    func putSecret(_ secret: BuildSecret, sealed: [UInt8]) async throws
    /// Removes a secret; NotFound when the app or the secret does not exist.
    func deleteSecret(_ scope: Scope, appId: String, branchName: String?, name: String) async throws
    /// The key every node of this store signs URLs and seals secrets with: the one kept, or `proposed` kept from now on
    /// when there is none yet (the first of several nodes starting at once wins; all get the same).
    func serverKey(proposed: [UInt8]) async throws -> [UInt8]
    /// The app's secrets (for the app and for each branch) with their sealed values, by branch then name; NotFound
    /// for the app.
    func secrets(_ scope: Scope, appId: String) async throws -> [(secret: BuildSecret, sealed: [UInt8])]

    /// Stores a new webhook of an existing branch.
    func createWebhook(_ webhook: Webhook) async throws
    /// The webhook, or NotFoundException; with no scope, in any (incoming webhook calls are not signed).
    func webhook(_ scope: Scope?, webhookId: String) async throws -> Webhook
    /// The app's webhooks in creation order.
    func listWebhooks(_ scope: Scope, appId: String, after token: PageToken?, limit: Int) async throws -> Page<Webhook>
    /// Changes the webhook with `update` (its branch must exist) and stores it; returns the stored webhook.
    func updateWebhook(_ scope: Scope, webhookId: String, _ update: @Sendable (inout Webhook) throws -> Void) async throws -> Webhook
    /// Removes the webhook; returns it as it was.
    func deleteWebhook(_ scope: Scope, webhookId: String) async throws -> Webhook

    /// Stores a new backend environment; a second one of the same name in the app is BadRequestException.
    func createBackendEnvironment(_ environment: BackendEnvironment) async throws
    /// The backend environment, or NotFoundException.
    func backendEnvironment(_ scope: Scope, appId: String, environmentName: String) async throws -> BackendEnvironment
    /// The app's backend environments in creation order, only the one named `environmentName` when given.
    func listBackendEnvironments(
        _ scope: Scope, appId: String, environmentName: String?, after token: PageToken?, limit: Int
    ) async throws -> Page<BackendEnvironment>
    /// Removes the backend environment; returns it as it was.
    func deleteBackendEnvironment(_ scope: Scope, appId: String, environmentName: String) async throws -> BackendEnvironment

    /// Stores a new domain association; its subdomains must point at branches of the app, and its domain
    /// must not be associated with another app (BadRequestException).
    func createDomainAssociation(_ domain: DomainAssociation) async throws
    /// The domain association, or NotFoundException.
    func domainAssociation(_ scope: Scope, appId: String, domainName: String) async throws -> DomainAssociation
    /// The domain associations of any account whose domain name is one of `names` (lowercase, as
    /// `DomainAssociation.names(under:)` gives them for a request's Host): a custom domain's site.
    func domainAssociations(named names: [String]) async throws -> [DomainAssociation]
    /// The app's domain associations in creation order.
    func listDomainAssociations(_ scope: Scope, appId: String, after token: PageToken?, limit: Int) async throws -> Page<DomainAssociation>
    /// Changes the domain association with `update` and stores it; returns the stored association.
    func updateDomainAssociation(
        _ scope: Scope, appId: String, domainName: String, _ update: @Sendable (inout DomainAssociation) throws -> Void
    ) async throws -> DomainAssociation
    /// Removes the domain association; returns it as it was.
    func deleteDomainAssociation(_ scope: Scope, appId: String, domainName: String) async throws -> DomainAssociation

    /// The tags of an app, branch or job (NotFoundException when it does not exist).
    func tags(_ scope: Scope, of resource: TaggedResource) async throws -> [String: String]
    /// Changes the tags of an app, branch or job with `update`; returns them as stored.
    func updateTags(
        _ scope: Scope, of resource: TaggedResource, _ update: @Sendable (inout [String: String]) throws -> Void
    ) async throws -> [String: String]

    /// Loads `snapshot` (checked with `StateSnapshot.validate` first) into its accounts and regions, which must hold
    /// no apps yet (`StateSnapshot.requireEmpty`; with `skipIfHeld`, nothing is loaded then and it returns false):
    /// everything or nothing, in one transaction.
    @discardableResult
    func load(_ snapshot: StateSnapshot, skipIfHeld: Bool) async throws -> Bool

    /// Drops all state.
    func reset() async throws
    /// Drops the apps of one account and region and everything under them (what `DeleteApp` drops, for each), in one
    /// transaction; other accounts and regions keep theirs. Returns the ids of the apps dropped.
    @discardableResult
    func reset(_ scope: Scope) async throws -> [String]
}

extension Store {
    /// The whole log of one step of a job; nil when the job or the log does not exist.
    public func log(_ key: JobKey, step: String) async throws -> String? {
        try await self.log(key, step: step, from: 0).map { String(decoding: $0.bytes, as: UTF8.self) }
    }

    /// Changes the job with `update` and stores it; returns the stored job.
    public func updateJob(_ key: JobKey, _ update: @Sendable (inout Job) throws -> Void) async throws -> Job {
        try await self.updateJob(key, log: nil, update)
    }
}

/// Text for the log of one step of a job.
public struct StepLog: Sendable, Equatable {
    public var step: String
    public var text: String

    public init(step: String, text: String) {
        self.step = step
        self.text = text
    }

    /// The most one stored chunk of a log holds: reading from an offset reads at most about this much more than asked.
    public static let chunkBytes = 64 * 1024

    /// The text in pieces of at most `maxBytes` bytes of UTF-8, cut between characters (between Unicode scalars).
    public func pieces(maxBytes: Int = Self.chunkBytes) -> [String] {
        let bytes = Array(self.text.utf8)
        guard bytes.count > maxBytes else { return [self.text] }
        var pieces: [String] = []
        var start = 0
        while start < bytes.count {
            var end = min(start + maxBytes, bytes.count)
            // Back up to the first byte of a scalar (a continuation byte is 10xxxxxx).
            while end < bytes.count, end > start + 1, bytes[end] & 0xC0 == 0x80 { end -= 1 }
            pieces.append(String(decoding: bytes[start..<end], as: UTF8.self))
            start = end
        }
        return pieces
    }
}

/// What a step's log holds after an offset, and how long the whole log is, in bytes.
public struct StepLogTail: Sendable, Equatable {
    public var bytes: [UInt8]
    public var total: Int

    public init(bytes: [UInt8], total: Int) {
        self.bytes = bytes
        self.total = total
    }

    /// From chunks `(endOffset, content)` in order, the last of which ends the log: the bytes after `offset`.
    public init(chunks: [(end: Int, content: String)], from offset: Int) {
        var bytes: [UInt8] = []
        for chunk in chunks {
            let utf8 = Array(chunk.content.utf8)
            let start = chunk.end - utf8.count
            bytes += offset > start ? utf8.dropFirst(offset - start) : utf8[...]
        }
        self.init(bytes: bytes, total: chunks.last?.end ?? 0)
    }
}
