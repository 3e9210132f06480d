import AmplifyCore
import AmplifyProcess
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Follows the repositories of apps: reads their refs (a repository on this machine from its files every
/// `localInterval`, a remote one with `git ls-remote` every `remoteInterval`), and acts on what moved as Amplify does
/// on a push: builds, branches made from the app's patterns, branches deleted with their git branch, pull-request
/// previews. Git hosts' notifications (`handle`) act the same way at once.
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
        public var branchDeleted: @Sendable (Branch) -> Void

        public init(jobStarted: @escaping @Sendable () -> Void, branchDeleted: @escaping @Sendable (Branch) -> Void) {
            self.jobStarted = jobStarted
            self.branchDeleted = branchDeleted
        }
    }

    private struct AppKey: Hashable {
        var scope: Scope
        var appId: String
    }

    private struct BranchKey: Hashable {
        var scope: Scope
        var appId: String
        var branchName: String
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
        /// Branches with a push waiting for their job to end.
        var waiting: Set<BranchKey> = []
        var lastClaim: Date = .distantPast
        var repositories: [FollowedRepository] = []
        var scannedWaiting = false
    }

    private let store: any Store
    private let clock: ServiceClock
    private let configuration: Configuration
    private let hooks: Hooks
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
        self.hooks = hooks
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
                await self.startWaitingBuilds()
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
        var waiting: [BranchKey] = []
        for repository in repositories {
            guard let branches = try? await self.store.branchesWithPendingPush(repository.app.scope, appId: repository.app.appId) else { continue }
            waiting += branches.map { BranchKey(scope: $0.scope, appId: $0.appId, branchName: $0.branchName) }
        }
        self.state.withLock {
            $0.waiting.formUnion(waiting)
            $0.scannedWaiting = true
        }
    }

    /// Reads one repository, records the reading, and acts on what changed since the one before.
    private func follow(_ followed: FollowedRepository) async {
        let app = followed.app
        let key = AppKey(scope: app.scope, appId: app.appId)
        let repository = app.repository ?? ""
        let local = RepositoryLocation.isOnThisMachine(repository)
        var logger = self.logger
        logger[metadataKey: "app.id"] = "\(app.appId)"
        let refs: GitRefs
        do {
            refs = local
                ? try LocalRefs.read(repository, sources: self.configuration.sources)
                : try await RemoteRefs.read(
                    repository, token: app.accessToken ?? app.oauthToken, environment: self.configuration.hostEnvironment, launcher: self.launcher
                )
            self.readingEnded(key, failure: nil, logger: logger)
        } catch {
            self.readingEnded(key, failure: "\(error)", logger: logger)
            return
        }
        guard let old = followed.refs else {
            // The first reading (or the first of a new repository) is where following starts: it builds nothing.
            _ = try? await self.store.recordRefs(app.scope, appId: app.appId, repository: repository, refs: refs, expected: nil)
            self.remember(app, refs: refs)
            return
        }
        guard refs != old else { return }
        // A listing without branches is not believed (a repository being rewritten, a host answering oddly): it
        // deletes nothing and is not recorded.
        guard !refs.branches.isEmpty else { return }
        do {
            guard try await self.store.recordRefs(app.scope, appId: app.appId, repository: repository, refs: refs, expected: old) else {
                // Another node or a notification recorded a reading meanwhile: the next claim brings it.
                self.state.withLock { $0.lastClaim = .distantPast }
                return
            }
        } catch let error as AmplifyError where error.code == .notFound {
            return  // the app was deleted meanwhile
        } catch {
            logger.error("Could not record the repository's refs", metadata: ["error": "\(error)"])
            return
        }
        self.remember(app, refs: refs)
        for change in refs.changes(since: old) {
            await self.apply(change, app: app, refs: refs, local: local, logger: logger)
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

    private func apply(_ change: GitRefs.Change, app: App, refs: GitRefs, local: Bool, logger: Logger) async {
        switch change {
        case .branchCreated(let name, let commit):
            await self.pushed(name, commit: await self.commit(commit, app: app, local: local), created: true, app: app, logger: logger)
        case .branchMoved(let name, let commit):
            await self.pushed(name, commit: await self.commit(commit, app: app, local: local), created: false, app: app, logger: logger)
        case .branchDeleted(let name):
            await self.gitBranchDeleted(name, app: app, logger: logger)
        case .pullRequestUpdated(let number, let commit):
            guard let destination = refs.defaultBranch else { return }
            // A local pull request ref names no source: the branch at the same commit, if there is one.
            let source = refs.branches.filter { $0.value == commit && $0.key != destination }.keys.sorted().first ?? "pull/\(number)"
            let pullRequest = PullRequest(number: number, sourceBranch: source, destinationBranch: destination, ref: "refs/pull/\(number)/head")
            await self.previewUpdated(pullRequest, commit: await self.commit(commit, app: app, local: local), app: app, logger: logger)
        case .pullRequestClosed(let number):
            await self.previewClosed(number, app: app, logger: logger)
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

    // MARK: Acting

    /// A git host's notification, acted on at once; returns what it did, for the answer to the host.
    public func handle(_ event: GitHubEvent, app: App) async throws -> String {
        var logger = self.logger
        logger[metadataKey: "app.id"] = "\(app.appId)"
        switch event {
        case .push(let branch, let commit, let deleted):
            if deleted {
                return await self.gitBranchDeleted(branch, app: app, logger: logger)
            }
            return await self.pushed(branch, commit: commit, created: false, app: app, logger: logger)
        case .pullRequest(let pullRequest, let commit, let closed):
            guard let commit, !closed else { return await self.previewClosed(pullRequest.number, app: app, logger: logger) }
            return await self.previewUpdated(pullRequest, commit: commit, app: app, logger: logger)
        case .ignored(let what):
            return "ignored: \(what)"
        }
    }

    /// A git branch moved (or appeared: `created`): its Amplify branch builds the commit; a new git branch that
    /// matches the app's patterns gets an Amplify branch first. A branch that does not exist and is not made is left.
    @discardableResult
    private func pushed(_ name: String, commit: GitCommit, created: Bool, app: App, logger: Logger) async -> String {
        if (try? await self.store.branch(app.scope, appId: app.appId, branchName: name)) == nil {
            let current = (try? await self.store.app(app.scope, appId: app.appId)) ?? app
            guard created || !self.branchExisted(name, app: app), current.autoCreatesBranch(name) else {
                return "no branch \(name) in the app"
            }
            do {
                try await self.store.createBranch(Branch.autoCreated(name, app: current, now: self.clock.now()))
                logger.info("Created a branch for a new git branch matching the app's patterns", metadata: ["branch": "\(name)"])
            } catch let error as AmplifyError where error.code == .badRequest {
                // Made meanwhile (another node, or the branch limit): what is there is built, or nothing.
                logger.debug("Branch not created", metadata: ["branch": "\(name)", "reason": "\(error.message)"])
            } catch {
                logger.error("Could not create a branch", metadata: ["branch": "\(name)", "error": "\(error)"])
                return "branch \(name) not created"
            }
        }
        return await self.receive(.commit(commit), BranchKey(scope: app.scope, appId: app.appId, branchName: name), logger: logger)
    }

    /// Whether the git branch was there in the last reading (a push notification to it then is not a new branch).
    private func branchExisted(_ name: String, app: App) -> Bool {
        self.state.withLock { state in
            state.repositories.first { $0.app.scope == app.scope && $0.app.appId == app.appId }?.refs?.branches[name] != nil
        }
    }

    @discardableResult
    private func receive(_ push: Push, _ key: BranchKey, logger: Logger) async -> String {
        let name = key.branchName
        do {
            let outcome = try await self.store.receivePush(key.scope, appId: key.appId, branchName: name, push, now: self.clock.now())
            switch outcome {
            case .built(let job):
                self.state.withLock { _ = $0.waiting.remove(key) }
                self.hooks.jobStarted()
                logger.info("Push builds", metadata: ["job.id": "\(job.key)", "commit": "\(job.commitId)"])
                return "job \(job.key.jobId) of branch \(name) builds commit \(job.commitId)"
            case .waiting:
                self.state.withLock { _ = $0.waiting.insert(key) }
                return "branch \(name) has a job in progress: the push builds when it ends"
            case .skipped(let reason):
                logger.info("Push not built", metadata: ["branch": "\(name)", "reason": "\(reason)"])
                return "nothing built: \(reason)"
            case .seen:
                self.state.withLock { _ = $0.waiting.remove(key) }
                return "branch \(name) saw this commit already"
            }
        } catch let error as AmplifyError where error.code == .notFound {
            self.state.withLock { _ = $0.waiting.remove(key) }
            return "no branch \(name) in the app"
        } catch {
            logger.error("Could not start a build of a push", metadata: ["branch": "\(name)", "error": "\(error)"])
            return "no build: \(error)"
        }
    }

    /// Builds the pushes that waited for a job that has ended now.
    private func startWaitingBuilds() async {
        let waiting = self.state.withLock { $0.waiting }
        for key in waiting {
            await self.receive(.followUp, key, logger: self.logger)
        }
    }

    /// A git branch is gone: with automatic deletion on, its Amplify branch goes too (not a preview: those go with
    /// their pull request).
    @discardableResult
    private func gitBranchDeleted(_ name: String, app: App, logger: Logger) async -> String {
        guard let current = try? await self.store.app(app.scope, appId: app.appId), current.enableBranchAutoDeletion else {
            return "automatic branch deletion is off"
        }
        guard let branch = try? await self.store.branch(app.scope, appId: app.appId, branchName: name), branch.pullRequest == nil else {
            return "no branch \(name) to delete"
        }
        return await self.delete(branch, why: "its git branch was deleted", logger: logger)
    }

    private func delete(_ branch: Branch, why: String, logger: Logger) async -> String {
        do {
            let deleted = try await self.store.deleteBranch(branch.scope, appId: branch.appId, branchName: branch.branchName)
            self.hooks.branchDeleted(deleted)
            logger.info("Deleted a branch: \(why)", metadata: ["branch": "\(branch.branchName)"])
            return "branch \(branch.branchName) deleted"
        } catch let error as AmplifyError where error.code == .notFound {
            return "branch \(branch.branchName) was deleted already"
        } catch {
            logger.error("Could not delete a branch", metadata: ["branch": "\(branch.branchName)", "error": "\(error)"])
            return "branch \(branch.branchName) not deleted"
        }
    }

    /// A pull request opened or updated: if its destination branch has previews on, its preview branch (made from the
    /// destination's settings) builds the commit.
    @discardableResult
    private func previewUpdated(_ pullRequest: PullRequest, commit: GitCommit, app: App, logger: Logger) async -> String {
        guard let destination = try? await self.store.branch(app.scope, appId: app.appId, branchName: pullRequest.destinationBranch),
            destination.enablePullRequestPreview
        else {
            return "branch \(pullRequest.destinationBranch) has no pull request previews"
        }
        let name = pullRequest.branchName
        do {
            if let preview = try? await self.store.branch(app.scope, appId: app.appId, branchName: name) {
                guard preview.pullRequest != nil else { return "branch \(name) is not a preview" }
                if preview.pullRequest != pullRequest {
                    _ = try await self.store.updateBranch(app.scope, appId: app.appId, branchName: name) { $0.pullRequest = pullRequest }
                }
            } else {
                try await self.store.createBranch(destination.preview(of: pullRequest, now: self.clock.now()))
                logger.info("Created a pull request preview", metadata: ["branch": "\(name)", "destination": "\(destination.branchName)"])
            }
        } catch let error as AmplifyError where error.code == .badRequest {
            logger.debug("Preview not created", metadata: ["branch": "\(name)", "reason": "\(error.message)"])
        } catch {
            logger.error("Could not create a pull request preview", metadata: ["branch": "\(name)", "error": "\(error)"])
            return "preview \(name) not created"
        }
        return await self.receive(.commit(commit), BranchKey(scope: app.scope, appId: app.appId, branchName: name), logger: logger)
    }

    /// A pull request closed or merged: its preview goes.
    @discardableResult
    private func previewClosed(_ number: Int, app: App, logger: Logger) async -> String {
        let name = "pr-\(number)"
        guard let preview = try? await self.store.branch(app.scope, appId: app.appId, branchName: name), preview.pullRequest != nil else {
            return "no preview \(name)"
        }
        return await self.delete(preview, why: "its pull request was closed", logger: logger)
    }
}
