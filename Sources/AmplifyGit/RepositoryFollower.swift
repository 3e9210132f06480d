import AmplifyCore
import AmplifyProcess
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Follows the repositories of apps: reads their refs (a repository on this machine from its files every
/// `localInterval`, a remote one with `git ls-remote` every `remoteInterval`), and hands what moved to
/// `GitEventHandler`, which does what Core decides a push means (`GitEventAction`: builds, branches made from the
/// app's patterns, branches deleted with their git branch, pull-request previews). Git hosts' notifications
/// (`handle`) go the same way at once. This type is the schedule: when each repository is read, leases, backoff.
///
/// A `Service` of the server's service group. Each reading is recorded in the store only if the one before is still
/// the one recorded, and each branch keeps the last commit it saw: however many nodes read a repository, and a
/// notification besides, a push builds once. With several nodes, one at a time reads each repository (a lease).
public final class RepositoryFollower: Service, Sendable {
    public struct Configuration: Sendable {
        /// Seconds between readings of a repository on this machine; 0 reads none.
        public var localInterval: Double
        /// Seconds between readings of a remote repository; 0 reads none.
        public var remoteInterval: Double
        /// The name this node's leases go under.
        public var node: String
        /// The server's environment: git runs with it (credentials, SSH agent).
        public var hostEnvironment: [String: String]
        /// The folders a repository on this machine may be read from (`--deploy-from`); none by default.
        public var sources: SourceFolders

        public init(
            localInterval: Double = 5, remoteInterval: Double = 60, node: String = "local", hostEnvironment: [String: String] = [:],
            sources: SourceFolders = SourceFolders(allowed: [])
        ) {
            self.sources = sources
            self.localInterval = localInterval
            self.remoteInterval = remoteInterval
            self.node = node
            self.hostEnvironment = hostEnvironment
        }
    }

    /// What the rest of the server does when following changes something.
    public struct Hooks: Sendable {
        /// A job was queued: the build runner should look for it.
        public var jobStarted: @Sendable () -> Void
        /// A branch was deleted: its builds stop and its files go, as after DeleteBranch.
        public var branchDeleted: @Sendable (Branch) async -> Void

        public init(jobStarted: @escaping @Sendable () -> Void, branchDeleted: @escaping @Sendable (Branch) async -> Void) {
            self.jobStarted = jobStarted
            self.branchDeleted = branchDeleted
        }
    }

    private struct AppKey: Hashable {
        var scope: Scope
        var appId: String
    }

    /// How reading one repository goes: when it was read, and its failures in a row (retried with backoff).
    private struct Health {
        var lastRead: Date = .distantPast
        var failures = 0
        var nextAttempt: Date = .distantPast
        var reading = false
    }

    private struct State {
        var health: [AppKey: Health] = [:]
        var lastClaim: Date = .distantPast
        var repositories: [FollowedRepository] = []
        var scannedWaiting = false
    }

    private let store: any Store
    private let clock: ServiceClock
    private let configuration: Configuration
    private let events: GitEventHandler
    /// Runs git.
    private let launcher: any ProcessLauncher
    private let logger: Logger
    private let state = Mutex(State())

    public init(
        store: any Store, clock: ServiceClock = .system, configuration: Configuration, hooks: Hooks, launcher: any ProcessLauncher, logger: Logger
    ) {
        self.launcher = launcher
        self.store = store
        self.clock = clock
        self.configuration = configuration
        self.events = GitEventHandler(store: store, clock: clock, hooks: hooks)
        self.logger = logger
    }

    /// How often the loop wakes: pushes that wait for a job are looked at then, and repositories read when due.
    private var tick: Duration {
        let intervals = [self.configuration.localInterval, self.configuration.remoteInterval, 1].filter { $0 > 0 }
        return .milliseconds(Int(intervals.min()! * 1000))
    }

    /// How long a lease on reading a repository lasts: a node silent that long leaves it to another.
    private var leaseSeconds: Double {
        max(30, 3 * max(self.configuration.localInterval, self.configuration.remoteInterval))
    }

    public func run() async throws {
        let polling = self.configuration.localInterval > 0 || self.configuration.remoteInterval > 0
        // Readings run beside the loop: a slow remote (up to git's 30 s) delays neither the others nor waiting pushes.
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully {
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.tick) }
                } catch {
                    break
                }
                await self.events.startWaitingBuilds(logger: self.logger)
                guard polling else { continue }
                for repository in await self.dueRepositories() {
                    group.addTask { await self.follow(repository) }
                }
            }
            group.cancelAll()
        }
    }

    // MARK: Reading repositories

    /// The repositories to read now (each marked as being read): claimed again once a poll interval has passed.
    private func dueRepositories() async -> [FollowedRepository] {
        let now = self.clock.now()
        let claimEvery = [self.configuration.localInterval, self.configuration.remoteInterval].filter { $0 > 0 }.min() ?? 1
        if now.timeIntervalSince(self.state.withLock { $0.lastClaim }) >= claimEvery {
            do {
                let repositories = try await self.store.claimFollowedRepositories(
                    node: self.configuration.node, leaseUntil: now.addingTimeInterval(self.leaseSeconds), now: now
                )
                self.state.withLock { state in
                    state.repositories = repositories
                    state.lastClaim = now
                    // Apps deleted (or no longer this node's) leave nothing behind.
                    let followed = Set(repositories.map { AppKey(scope: $0.app.scope, appId: $0.app.appId) })
                    state.health = state.health.filter { followed.contains($0.key) || $0.value.reading }
                }
                await self.scanWaitingOnce(repositories)
            } catch {
                self.logger.error("Could not list the repositories to follow", metadata: ["error": "\(error)"])
                return []
            }
        }
        return self.state.withLock { state -> [FollowedRepository] in
            var due: [FollowedRepository] = []
            for repository in state.repositories {
                let key = AppKey(scope: repository.app.scope, appId: repository.app.appId)
                let local = RepositoryLocation.isOnThisMachine(repository.app.repository ?? "")
                let interval = local ? self.configuration.localInterval : self.configuration.remoteInterval
                var health = state.health[key, default: Health()]
                guard interval > 0, !health.reading, now >= health.nextAttempt,
                    now.timeIntervalSince(health.lastRead) >= interval * 0.95
                else { continue }
                health.reading = true
                state.health[key] = health
                due.append(repository)
            }
            return due
        }
    }

    /// Pushes that waited when the server stopped wait still: their branches are looked at again.
    private func scanWaitingOnce(_ repositories: [FollowedRepository]) async {
        guard !self.state.withLock({ $0.scannedWaiting }) else { return }
        for repository in repositories {
            guard let branches = try? await self.store.branchesWithPendingPush(repository.app.scope, appId: repository.app.appId) else { continue }
            self.events.wait(for: branches)
        }
        self.state.withLock { $0.scannedWaiting = true }
    }

    /// Reads one repository, records the reading, and acts on what changed since the one before.
    private func follow(_ followed: FollowedRepository) async {
        let app = followed.app
        let repository = app.repository ?? ""
        let local = RepositoryLocation.isOnThisMachine(repository)
        var logger = self.logger
        logger[metadataKey: "app.id"] = "\(app.appId)"
        guard let refs = await self.read(app, local: local, logger: logger) else { return }
        switch RefsReading(refs, after: followed.refs) {
        case .first:
            _ = try? await self.store.recordRefs(app.scope, appId: app.appId, repository: repository, refs: refs, expected: nil)
            self.remember(app, refs: refs)
        case .ignored:
            return
        case .changed(let old, let changes):
            guard await self.record(refs, of: app, expected: old, logger: logger) else { return }
            self.remember(app, refs: refs)
            for change in changes {
                guard let event = await GitEvent(change, in: refs, commit: { await self.commit($0, app: app, local: local) }) else { continue }
                await self.events.handle(event, app: app, logger: logger)
            }
        }
    }

    /// The repository's refs now, or nil when it cannot be read (then retried with backoff).
    private func read(_ app: App, local: Bool, logger: Logger) async -> GitRefs? {
        let key = AppKey(scope: app.scope, appId: app.appId)
        let repository = app.repository ?? ""
        do {
            let refs = local
                ? try LocalRefs.read(repository, sources: self.configuration.sources)
                : try await RemoteRefs.read(
                    repository, token: app.accessToken ?? app.oauthToken, environment: self.configuration.hostEnvironment, launcher: self.launcher
                )
            self.readingEnded(key, failure: nil, logger: logger)
            return refs
        } catch {
            self.readingEnded(key, failure: "\(error)", logger: logger)
            return nil
        }
    }

    /// Records a reading if the one recorded is still `expected`; false when it is not (another node or a
    /// notification recorded one meanwhile: the next claim brings it), or the app is gone.
    private func record(_ refs: GitRefs, of app: App, expected: GitRefs, logger: Logger) async -> Bool {
        do {
            let recorded = try await self.store.recordRefs(app.scope, appId: app.appId, repository: app.repository ?? "", refs: refs, expected: expected)
            if !recorded { self.state.withLock { $0.lastClaim = .distantPast } }
            return recorded
        } catch let error as AmplifyError where error.code == .notFound {
            return false  // the app was deleted meanwhile
        } catch {
            logger.error("Could not record the repository's refs", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// The reading just recorded is what the next one is compared with.
    private func remember(_ app: App, refs: GitRefs) {
        self.state.withLock { state in
            if let index = state.repositories.firstIndex(where: { $0.app.scope == app.scope && $0.app.appId == app.appId }) {
                state.repositories[index].refs = refs
            }
        }
    }

    /// Logs a repository becoming unreachable, and reachable again, once each; retries with backoff meanwhile.
    private func readingEnded(_ key: AppKey, failure: String?, logger: Logger) {
        let now = self.clock.now()
        let (before, after) = self.state.withLock { state -> (Int, Int) in
            var health = state.health[key, default: Health()]
            let before = health.failures
            health.reading = false
            health.lastRead = now
            if failure != nil {
                health.failures += 1
                health.nextAttempt = now.addingTimeInterval(min(300, 5 * pow(2, Double(min(health.failures - 1, 6)))))
            } else {
                health.failures = 0
                health.nextAttempt = .distantPast
            }
            state.health[key] = health
            return (before, health.failures)
        }
        if let failure, before == 0 {
            logger.warning("Cannot read the app's repository; retrying with backoff", metadata: ["error": "\(failure)"])
        } else if before > 0, after == 0 {
            logger.notice("The app's repository can be read again", metadata: ["failures": "\(before)"])
        }
    }

    /// The commit's message and time: read from a repository on this machine; a remote one's come with its build.
    private func commit(_ id: String, app: App, local: Bool) async -> GitCommit {
        let unknown = GitCommit(id: id, message: "", time: self.clock.now())
        guard local, let gitDirectory = try? LocalRefs.gitDirectory(app.repository ?? "", sources: self.configuration.sources) else { return unknown }
        let command = GitCommand(
            launcher: self.launcher, arguments: ["--git-dir", gitDirectory, "log", "-1", "--format=%ct%x00%B", id, "--"], environment: self.configuration.hostEnvironment
        )
        guard let output = try? await command.output() else { return unknown }
        let fields = output.split(separator: "\0", maxSplits: 1, omittingEmptySubsequences: false)
        guard fields.count == 2, let seconds = Double(fields[0]) else { return unknown }
        return GitCommit(id: id, message: fields[1].trimmingCharacters(in: .whitespacesAndNewlines), time: Date(timeIntervalSince1970: seconds))
    }

    // MARK: Notifications

    /// A git host's notification, acted on at once; returns what it did, for the answer to the host.
    public func handle(_ event: GitHubEvent, app: App) async throws -> String {
        var logger = self.logger
        logger[metadataKey: "app.id"] = "\(app.appId)"
        if case .ignored(let what) = event { return "ignored: \(what)" }
        guard let gitEvent = event.gitEvent(branchWasThere: { self.branchExisted($0, app: app) }) else { return "ignored" }
        return await self.events.handle(gitEvent, app: app, logger: logger)
    }

    /// Whether the git branch was there in the last reading (a push notification to it then is not a new branch).
    private func branchExisted(_ name: String, app: App) -> Bool {
        self.state.withLock { state in
            state.repositories.first { $0.app.scope == app.scope && $0.app.appId == app.appId }?.refs?.branches[name] != nil
        }
    }
}
