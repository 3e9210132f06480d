import AmplifyCore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Claims PENDING jobs from the store and builds them, at most `maxConcurrentBuilds` at once.
///
/// A `Service` of the server's service group. StartJob wakes it; StopJob, DeleteBranch and DeleteApp
/// ask it to stop builds. It also polls the store, so jobs that another writer queued get built too.
///
/// Each claim is a lease held by this runner's `node` and renewed at every poll. Renewing tells which
/// of its builds were stopped, deleted or given up through another node; with a shared store (several
/// nodes), the runner also ends the jobs whose node let its lease run out (it died) as FAILED.
public final class BuildRunner: Service, Sendable {
    public struct Configuration: Sendable {
        public var mode: BuildMode
        public var simulatedBuildSeconds: Double
        public var maxConcurrentBuilds: Int
        public var pollInterval: Duration
        /// Where workspaces, artifacts and caches live.
        public var files: JobFiles
        /// The most log one step of a real build keeps.
        public var maxLogBytes: Int
        /// How long a stopped build's processes have between SIGTERM and SIGKILL.
        public var terminationGrace: Duration
        /// The server's environment: git clones with it; builds see only its PATH.
        public var hostEnvironment: [String: String]
        /// The most a manual deployment's zip may unpack to (its entries' declared sizes).
        public var maxSiteBytes: Int64
        /// The name this server's claims go under.
        public var node: String
        /// How long a claim lasts without being renewed, in seconds.
        public var leaseSeconds: Double
        /// The programs real builds need that this machine lacks (`BuildTools.missing`): mode `auto` simulates then.
        public var missingTools: [String] = []
        /// Told of each build this runner ended, as the store has it then (the server's metrics count them).
        public var buildEnded: @Sendable (Job) -> Void = { _ in }
        /// The secret values a job's build gets (the app's, its branch's over them), opened.
        public var secrets: @Sendable (JobKey) async throws -> [String: String] = { _ in [:] }
        /// The sandbox real builds run in, nil for none, and why (`BuildSandbox.decide`: perhaps still being probed).
        public var sandbox: Task<(sandbox: BuildSandbox?, reason: String), Never> = Task { (nil, "no sandbox") }
        /// The most memory any build gets, below its compute type's (`--build-memory-mib`).
        public var memoryCap: Int64? = nil
        /// The most processes (and threads) a build has at once (`--build-max-processes`).
        public var processLimit = ProcessLimit()
        /// Starts an SSR deployment's compute and waits until it answers (the compute supervisor).
        public var startCompute: @Sendable (ComputeDeployment) async throws -> String = { _ in
            throw JobProgress.Interruption.failed("This server runs no computes.")
        }
        /// The folders `file://` sources (a deployment's `sourceUrl`, a repository on this machine) may be read from
        /// (`--deploy-from`); none by default.
        public var sources = SourceFolders(allowed: [])
        /// The Node.js versions builds' `nvm` picks from (`--node-versions`).
        public var nodeVersions = NodeVersions(folder: nil)
        /// What a build does with a command that deploys the app's backend on AWS (`--backend-builds`).
        public var backendBuilds = BackendBuilds.fail
        /// Whether other nodes build from the same store (PostgreSQL). Without, the jobs in progress at
        /// start-up are the previous run's and end at once; with, only those whose lease ran out.
        public var sharedStore: Bool

        public init(
            mode: BuildMode = .auto, simulatedBuildSeconds: Double = 1, maxConcurrentBuilds: Int = 5, pollInterval: Duration = .seconds(1),
            files: JobFiles = .temporary(), maxLogBytes: Int = 64 * 1024 * 1024, terminationGrace: Duration = .seconds(5), hostEnvironment: [String: String] = [:],
            maxSiteBytes: Int64 = 20_000_000_000, node: String = "local", leaseSeconds: Double = 30, sharedStore: Bool = false
        ) {
            self.maxSiteBytes = maxSiteBytes
            self.node = node
            self.leaseSeconds = leaseSeconds
            self.sharedStore = sharedStore
            self.mode = mode
            self.simulatedBuildSeconds = simulatedBuildSeconds
            self.maxConcurrentBuilds = maxConcurrentBuilds
            self.pollInterval = pollInterval
            self.files = files
            self.maxLogBytes = maxLogBytes
            self.terminationGrace = terminationGrace
            self.hostEnvironment = hostEnvironment
        }
    }

    private struct State {
        var running: Set<JobKey> = []
        var stopRequests: Set<JobKey> = []
    }

    private let store: any Store
    private let clock: ServiceClock
    private let configuration: Configuration
    private let logger: Logger
    private let state = Mutex(State())
    private let containment = Mutex(ProcessContainment.processGroup)
    /// Whether start-up recovery (jobs a previous run left in progress) is over, and who waits for it.
    private let recovery = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    private let recovered = Atomic(false)

    /// What tests asked of the next builds (`POST /_amplify-local/builds/control`).
    public let controls = BuildControls()
    private let wakeups: AsyncStream<Void>
    private let wakeup: AsyncStream<Void>.Continuation

    public init(store: any Store, clock: ServiceClock = .system, configuration: Configuration, logger: Logger) {
        self.store = store
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
        (self.wakeups, self.wakeup) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Tells the runner a job may be waiting.
    public func wake() {
        self.wakeup.yield()
    }

    /// Asks for the job's build to stop; the job is already CANCELLING in the store.
    public func stop(_ key: JobKey) {
        _ = self.state.withLock { $0.stopRequests.insert(key) }
        self.wake()
    }

    /// Stops the builds of an app's jobs (of one branch, when `branchName` is given) that are being deleted.
    public func stopBuilds(of scope: Scope, appId: String, branchName: String? = nil) {
        self.state.withLock { state in
            for key in state.running where key.scope == scope && key.appId == appId && (branchName == nil || key.branchName == branchName) {
                state.stopRequests.insert(key)
            }
        }
    }

    private func isStopRequested(_ key: JobKey) -> Bool {
        self.state.withLock { $0.stopRequests.contains(key) }
    }

    /// How many builds run now.
    public var runningCount: Int {
        self.state.withLock { $0.running.count }
    }

    /// Returns once the jobs a previous run left in progress are finished (or start-up failed): until then an answer
    /// could still show them RUNNING. Requests wait for it; after start it is one atomic load.
    public func waitUntilRecovered() async {
        guard !self.recovered.load(ordering: .acquiring) else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = self.recovery.withLock { state in
                if !state.done { state.waiters.append(continuation) }
                return state.done
            }
            if done { continuation.resume() }
        }
    }

    private func markRecovered() {
        let waiters = self.recovery.withLock { state in
            state.done = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        self.recovered.store(true, ordering: .releasing)
        for waiter in waiters { waiter.resume() }
    }

    public func run() async throws {
        var recovering = true
        defer { if recovering { self.markRecovered() } }
        let now = self.clock.now()
        // What this node claimed before (when it starts again under its name) is not running: it ends now, not
        // when its lease runs out.
        let interrupted = try await self.store.finishAbandonedJobs(
            leaseEndedBefore: self.configuration.sharedStore ? now : .distantFuture, orClaimedBy: self.configuration.node,
            reason: "The build was interrupted: amplify-local stopped while the job was in progress.", now: now
        )
        if interrupted > 0 {
            self.logger.notice("Finished jobs left in progress by the previous run", metadata: ["jobs": "\(interrupted)"])
        }
        recovering = false
        self.markRecovered()
        // A build keeps its workspace until its processes are gone: workspaces left behind mean a crash,
        // and only then is /proc searched (which takes a while on a busy machine).
        if self.configuration.files.hasWorkspaces {
            let leftovers = BuildProcess.killProcesses(marker: RealBuild.marker(self.configuration.files, run: ""), prefix: true)
            if leftovers > 0 {
                self.logger.notice("Killed processes left by builds of the previous run", metadata: ["processes": "\(leftovers)"])
            }
            BuildCgroup.removeLeftovers(runs: self.configuration.files.workspaceRuns)
            self.configuration.files.removeWorkspaces()
        }
        if self.configuration.mode == .auto, !self.configuration.missingTools.isEmpty {
            self.logger.warning(
                "Builds are simulated: \(self.configuration.missingTools.joined(separator: ", ")) not found on PATH (real builds need git, bash and tar)"
            )
        }
        if self.configuration.mode != .simulate {
            let containment = await ProcessContainment.probe()
            self.containment.withLock { $0 = containment }
            self.logger.debug("Builds are contained by \(containment.description)", metadata: ["build.users": "\(BuildUser.available ? "one per build" : "the server's own")"])
        }
        await withDiscardingTaskGroup { group in
            group.addTask { await self.tick() }
            await withGracefulShutdownHandler {
                self.wake()
                for await _ in self.wakeups {
                    await self.settleStopRequests()
                    while let job = await self.claimIfFree() {
                        group.addTask { await self.build(job) }
                    }
                }
            } onGracefulShutdown: {
                self.wakeup.finish()
            }
            group.cancelAll()
        }
        if self.configuration.files.isTemporary {
            SiteFiles.remove(self.configuration.files.root)
        } else if self.configuration.files.node != nil {
            // A node's workspaces folder is its own: nothing of it outlives the node.
            self.configuration.files.removeWorkspaces()
        }
    }

    /// Where builds keep their files.
    public var files: JobFiles { self.configuration.files }

    /// The folders `file://` sources may be read from (StartDeployment refuses others at once).
    public var sources: SourceFolders { self.configuration.sources }

    private func tick() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: self.configuration.pollInterval)
            await self.keepLeases()
            self.wake()
        }
    }

    /// Renews the leases of this node's builds and stops those that should not go on; with a shared
    /// store, ends the builds of nodes that stopped renewing theirs.
    private func keepLeases() async {
        let now = self.clock.now()
        // Claims are stored before they are added here, so every build seen now is among what the store returns, if it may go on.
        let held = self.state.withLock { $0.running }
        do {
            if !held.isEmpty {
                let alive = try await self.store.renewLeases(node: self.configuration.node, until: now.addingTimeInterval(self.configuration.leaseSeconds))
                self.state.withLock { $0.stopRequests.formUnion(held.subtracting(alive)) }
            }
            if self.configuration.sharedStore {
                let abandoned = try await self.store.finishAbandonedJobs(
                    leaseEndedBefore: now, orClaimedBy: nil,
                    reason: "The build was abandoned: the amplify-local node building it stopped renewing its claim for \(Int(self.configuration.leaseSeconds)) seconds.",
                    now: now
                )
                if abandoned > 0 {
                    self.logger.notice("Ended jobs whose node stopped renewing its claim", metadata: ["jobs": "\(abandoned)"])
                }
            }
        } catch where !Task.isCancelled {
            self.logger.error("Could not renew build leases", metadata: ["error": "\(error)"])
        } catch {}
    }

    /// Cancels stopped jobs that no build of this runner owns and no other node claimed (they were still PENDING).
    private func settleStopRequests() async {
        let orphans = self.state.withLock { state in
            let orphans = state.stopRequests.subtracting(state.running)
            state.stopRequests.subtract(orphans)
            return orphans
        }
        for key in orphans {
            do {
                try await self.store.cancelUnclaimedJob(key, now: self.clock.now())
            } catch let error as AmplifyError where error.code == .notFound {
                continue
            } catch {
                self.logger.error("Could not cancel a stopped job", metadata: ["job.id": "\(key)", "error": "\(error)"])
            }
        }
    }

    private func claimIfFree() async -> Job? {
        guard self.runningCount < self.configuration.maxConcurrentBuilds else { return nil }
        do {
            let now = self.clock.now()
            let lease = now.addingTimeInterval(self.configuration.leaseSeconds)
            guard let job = try await self.store.claimNextPendingJob(node: self.configuration.node, leaseUntil: lease, now: now) else { return nil }
            // A stop request already held for the key is not this job's (a stopped job is not PENDING, so not claimed):
            // it was for an earlier job of the same name. A stop that comes later reaches the build through the store.
            self.state.withLock { state in
                state.running.insert(job.key)
                state.stopRequests.remove(job.key)
            }
            self.logger.info("Claimed a job", metadata: ["job.id": "\(job.key)", "node": "\(self.configuration.node)"])
            return job
        } catch is CancellationError {
            return nil  // the server is stopping (or failed to start): nothing to say
        } catch {
            self.logger.error("Could not claim a pending job", metadata: ["error": "\(error)"])
            return nil
        }
    }

    private func build(_ job: Job) async {
        var logger = self.logger
        logger[metadataKey: "job.id"] = "\(job.key)"
        var progress = JobProgress(
            job: job.key, store: self.store, clock: self.clock, isStopRequested: { self.isStopRequested(job.key) }, logger: logger
        )
        progress.controls = self.controls
        progress.control = self.controls.take(for: job.key)
        let deleted: Bool
        if job.jobType == .manual {
            deleted = await Deployment(
                progress: progress, job: job, files: self.configuration.files.sites, maxBytes: self.configuration.maxSiteBytes,
                sources: self.configuration.sources, startCompute: self.configuration.startCompute
            ).run()
        } else if let reason = await self.simulationReason(job) {
            if progress.control == nil { progress.control = await self.simulatedResult(job) }
            deleted = await SimulatedBuild(progress: progress, totalSeconds: self.configuration.simulatedBuildSeconds, reason: reason).run()
        } else {
            let (sandbox, sandboxReason) = await self.configuration.sandbox.value
            let settings = RealBuild.Settings(
                files: self.configuration.files, containment: self.containment.withLock { $0 }, maxLogBytes: self.configuration.maxLogBytes,
                terminationGrace: self.configuration.terminationGrace, hostEnvironment: self.configuration.hostEnvironment,
                runAs: BuildUser.forBuild(), secrets: self.configuration.secrets, sandbox: sandbox,
                sandboxReason: sandboxReason, memoryCap: self.configuration.memoryCap, processLimit: self.configuration.processLimit,
                startCompute: self.configuration.startCompute, sources: self.configuration.sources,
                nodeVersions: self.configuration.nodeVersions, backendBuilds: self.configuration.backendBuilds
            )
            deleted = await RealBuild(progress: progress, job: job, store: self.store, settings: settings).run()
        }
        // Deleted while it ran (with its branch or app): what it put on disk goes too.
        if deleted {
            self.configuration.files.removeJob(job.key)
        } else if let ended = try? await self.store.job(job.key), ended.status.isFinished {
            self.configuration.buildEnded(ended)
        }
        // A stop request for the key stays: it may be for another job of the same name (the branch deleted and made
        // again while this build ended), stopped while still PENDING. `settleStopRequests` (woken now) ends such a
        // job; for this one, finished, it changes nothing.
        _ = self.state.withLock { $0.running.remove(job.key) }
        self.wake()
    }

    /// `AMPLIFY_LOCAL_SIMULATE_RESULT` among the branch's (or else the app's) environment variables: FAILED makes a
    /// simulated build fail, for people who drive amplify-local through the API alone.
    private func simulatedResult(_ job: Job) async -> BuildControl.Action? {
        let name = "AMPLIFY_LOCAL_SIMULATE_RESULT"
        let branch = try? await self.store.branch(job.key.scope, appId: job.key.appId, branchName: job.key.branchName)
        let app = try? await self.store.app(job.key.scope, appId: job.key.appId)
        switch branch?.environmentVariables[name] ?? app?.environmentVariables[name] {
        case nil, "SUCCEED": return nil
        case "FAILED": return .fail(step: "BUILD", reason: "\(name) is FAILED: the simulated build fails.")
        case let value?: return .fail(step: "BUILD", reason: "\(name) must be SUCCEED or FAILED, not '\(value)'.")
        }
    }

    /// Why the job is simulated rather than built, or nil to build it for real.
    private func simulationReason(_ job: Job) async -> String? {
        switch self.configuration.mode {
        case .simulate:
            return "the build mode is simulate"
        case .run:
            return nil
        case .auto:
            let repository = try? await self.store.app(job.key.scope, appId: job.key.appId).repository
            guard let repository, !repository.isEmpty else { return "the app has no repository" }
            if !self.configuration.missingTools.isEmpty {
                return "\(self.configuration.missingTools.joined(separator: ", ")) not found on this machine's PATH (real builds need git, bash and tar)"
            }
            return RepositoryLocation.isOnThisMachine(repository)
                ? nil : "build mode auto builds only repositories on this machine (a path or file:// URL); start with --build-mode run to clone \(GitCheckout.redacted(repository))"
        }
    }
}
