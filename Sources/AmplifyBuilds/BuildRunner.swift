import AmplifyCore
import AmplifyProcess
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
    private struct State {
        var running: Set<JobKey> = []
        var stopRequests: Set<JobKey> = []
    }

    private let store: any Store
    private let clock: ServiceClock
    private let configuration: Configuration
    private let context: Context
    private let logger: Logger
    private let state = Mutex(State())
    /// Whether start-up recovery (jobs a previous run left in progress) is over, and who waits for it.
    private let recovery = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    private let recovered = Atomic(false)

    /// What tests asked of the next builds (`POST /_amplify-local/builds/control`).
    public let controls = BuildControls()
    private let wakeups: AsyncStream<Void>
    private let wakeup: AsyncStream<Void>.Continuation

    public init(store: any Store, clock: ServiceClock = .system, configuration: Configuration, context: Context, logger: Logger) {
        self.store = store
        self.clock = clock
        self.configuration = configuration
        self.context = context
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
            leaseEndedBefore: self.context.sharedStore ? now : .distantFuture, orClaimedBy: self.context.node,
            reason: "The build was interrupted: amplify-local stopped while the job was in progress.", now: now
        )
        if interrupted > 0 {
            self.logger.notice("Finished jobs left in progress by the previous run", metadata: ["jobs": "\(interrupted)"])
        }
        recovering = false
        self.markRecovered()
        // A build keeps its workspace until its processes are gone: workspaces left behind mean a crash,
        // and only then is /proc searched (which takes a while on a busy machine).
        if self.context.files.hasWorkspaces {
            let leftovers = self.context.launcher.killMarked(RealBuild.marker(self.context.files, run: ""), prefix: true)
            if leftovers > 0 {
                self.logger.notice("Killed processes left by builds of the previous run", metadata: ["processes": "\(leftovers)"])
            }
            ControlGroup.removeLeftovers(runs: self.context.files.workspaceRuns)
            if let podman = await self.context.launcher.containers.runtime {
                let removed = await podman.removeLeftovers(owner: self.context.files.builds.path, launcher: self.context.launcher)
                if removed > 0 { self.logger.notice("Removed containers left by builds of the previous run", metadata: ["containers": "\(removed)"]) }
            }
            self.context.files.removeWorkspaces()
        }
        if self.configuration.mode == .auto, !self.context.missingTools.isEmpty {
            self.logger.warning(
                "Builds are simulated: \(self.context.missingTools.joined(separator: ", ")) not found on PATH (real builds need git, bash and tar)"
            )
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
        if self.context.files.isTemporary {
            SiteFiles.remove(self.context.files.root)
        } else if self.context.files.node != nil {
            // A node's workspaces folder is its own: nothing of it outlives the node.
            self.context.files.removeWorkspaces()
        }
    }

    /// Where builds keep their files.
    public var files: JobFiles { self.context.files }

    /// The folders `file://` sources may be read from (StartDeployment refuses others at once).
    public var sources: SourceFolders { self.context.sources }

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
                let alive = try await self.store.renewLeases(node: self.context.node, until: now.addingTimeInterval(self.configuration.leaseSeconds))
                self.state.withLock { $0.stopRequests.formUnion(held.subtracting(alive)) }
            }
            if self.context.sharedStore {
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
            guard let job = try await self.store.claimNextPendingJob(node: self.context.node, leaseUntil: lease, now: now) else { return nil }
            // A stop request already held for the key is not this job's (a stopped job is not PENDING, so not claimed):
            // it was for an earlier job of the same name. A stop that comes later reaches the build through the store.
            self.state.withLock { state in
                state.running.insert(job.key)
                state.stopRequests.remove(job.key)
            }
            self.logger.info("Claimed a job", metadata: ["job.id": "\(job.key)", "node": "\(self.context.node)"])
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
        progress.sites = self.context.files.sites
        progress.control = self.controls.take(for: job.key)
        let deleted: Bool
        if job.jobType == .manual {
            deleted = await Deployment(
                progress: progress, job: job, files: self.context.files.sites, maxBytes: self.context.maxSiteBytes,
                sources: self.context.sources, startCompute: self.context.startCompute
            ).run()
        } else if let reason = await self.simulationReason(job) {
            if progress.control == nil { progress.control = await self.simulatedResult(job) }
            deleted = await SimulatedBuild(progress: progress, totalSeconds: self.configuration.simulatedBuildSeconds, reason: reason).run()
        } else {
            deleted = await RealBuild(
                progress: progress, job: job, store: self.store, configuration: self.configuration, context: self.context,
                isolation: await self.context.launcher.isolation, runAs: ProcessUser.forBuild()
            ).run()
        }
        // Deleted while it ran (with its branch or app): what it put on disk goes too.
        if deleted {
            await self.context.files.removeJob(job.key)
        } else if let ended = try? await self.store.job(job.key), ended.status.isFinished {
            self.context.buildEnded(ended)
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
            if !self.context.missingTools.isEmpty {
                return "\(self.context.missingTools.joined(separator: ", ")) not found on this machine's PATH (real builds need git, bash and tar)"
            }
            return RepositoryLocation.isOnThisMachine(repository)
                ? nil : "build mode auto builds only repositories on this machine (a path or file:// URL); start with --build-mode run to clone \(GitCheckout.redacted(repository))"
        }
    }
}
