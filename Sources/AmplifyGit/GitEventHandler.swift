import AmplifyCore
import Foundation
import Logging
import Synchronization

/// Carries out what a git event means (`GitEventAction`, Core's decision) on the store: makes the branch Core says
/// to make, hands the push to the branch (`Store.receivePush`), deletes the branch Core says goes. It keeps the
/// branches whose push waits for a job to end, and builds them when asked (`startWaitingBuilds`). When and what
/// to read is `RepositoryFollower`'s.
final class GitEventHandler: Sendable {
    struct BranchKey: Hashable {
        var scope: Scope
        var appId: String
        var branchName: String
    }

    private let store: any Store
    private let clock: ServiceClock
    private let hooks: RepositoryFollower.Hooks
    /// Branches with a push waiting for their job to end.
    private let waiting = Mutex(Set<BranchKey>())

    init(store: any Store, clock: ServiceClock, hooks: RepositoryFollower.Hooks) {
        self.store = store
        self.clock = clock
        self.hooks = hooks
    }

    /// Acts on `event` in `app`; returns what it did, for the answer to a git host.
    @discardableResult
    func handle(_ event: GitEvent, app: App, logger: Logger) async -> String {
        let current = (try? await self.store.app(app.scope, appId: app.appId)) ?? app
        var branches: [String: Branch] = [:]
        for name in event.branchNames {
            branches[name] = try? await self.store.branch(app.scope, appId: app.appId, branchName: name)
        }
        switch GitEventAction(event, app: current, branches: branches, now: self.clock.now()) {
        case .build(let name, let commit, let first):
            if let first, let failure = await self.prepare(first, branchName: name, app: current, logger: logger) {
                return failure
            }
            return await self.receive(.commit(commit), BranchKey(scope: app.scope, appId: app.appId, branchName: name), logger: logger)
        case .delete(let name, let why):
            return await self.delete(name, app: current, why: why, logger: logger)
        case .nothing(let answer):
            return answer
        }
    }

    /// Builds the pushes that waited for a job that has ended now.
    func startWaitingBuilds(logger: Logger) async {
        for key in self.waiting.withLock({ $0 }) {
            await self.receive(.followUp, key, logger: logger)
        }
    }

    /// Branches whose push waited when the server stopped: they are looked at again.
    func wait(for branches: [Branch]) {
        let keys = branches.map { BranchKey(scope: $0.scope, appId: $0.appId, branchName: $0.branchName) }
        self.waiting.withLock { $0.formUnion(keys) }
    }

    /// Makes or updates the branch before it receives the commit; an answer when that failed so that nothing builds. A
    /// branch made meanwhile (another node), or refused (the branch limit), leaves what is there to build, or nothing.
    private func prepare(_ preparation: GitEventAction.Preparation, branchName name: String, app: App, logger: Logger) async -> String? {
        do {
            switch preparation {
            case .create(let branch):
                try await self.store.createBranch(branch)
                if let pullRequest = branch.pullRequest {
                    logger.info("Created a pull request preview", metadata: ["branch": "\(name)", "destination": "\(pullRequest.destinationBranch)"])
                } else {
                    logger.info("Created a branch for a new git branch matching the app's patterns", metadata: ["branch": "\(name)"])
                }
            case .updatePullRequest(let pullRequest):
                _ = try await self.store.updateBranch(app.scope, appId: app.appId, branchName: name) { $0.pullRequest = pullRequest }
            }
        } catch let error as AmplifyError where error.code == .badRequest {
            logger.debug("\(preparation.isPreview ? "Preview" : "Branch") not created", metadata: ["branch": "\(name)", "reason": "\(error.message)"])
            return nil
        } catch {
            let preview = preparation.isPreview
            logger.error("Could not create \(preview ? "a pull request preview" : "a branch")", metadata: ["branch": "\(name)", "error": "\(error)"])
            return "\(preview ? "preview" : "branch") \(name) not created"
        }
        return nil
    }

    @discardableResult
    private func receive(_ push: Push, _ key: BranchKey, logger: Logger) async -> String {
        let name = key.branchName
        do {
            let outcome = try await self.store.receivePush(key.scope, appId: key.appId, branchName: name, push, now: self.clock.now())
            switch outcome {
            case .built(let job):
                self.waiting.withLock { _ = $0.remove(key) }
                self.hooks.jobStarted()
                logger.info("Push builds", metadata: ["job.id": "\(job.key)", "commit": "\(job.commitId)"])
                return "job \(job.key.jobId) of branch \(name) builds commit \(job.commitId)"
            case .waiting:
                self.waiting.withLock { _ = $0.insert(key) }
                return "branch \(name) has a job in progress: the push builds when it ends"
            case .skipped(let reason):
                logger.info("Push not built", metadata: ["branch": "\(name)", "reason": "\(reason)"])
                return "nothing built: \(reason)"
            case .seen:
                self.waiting.withLock { _ = $0.remove(key) }
                return "branch \(name) saw this commit already"
            }
        } catch let error as AmplifyError where error.code == .notFound {
            self.waiting.withLock { _ = $0.remove(key) }
            return "no branch \(name) in the app"
        } catch {
            logger.error("Could not start a build of a push", metadata: ["branch": "\(name)", "error": "\(error)"])
            return "no build: \(error)"
        }
    }

    /// DeleteBranch, as the API does it; the rest of the server then stops the branch's builds and drops its files.
    private func delete(_ name: String, app: App, why: String, logger: Logger) async -> String {
        do {
            let deleted = try await self.store.deleteBranch(app.scope, appId: app.appId, branchName: name)
            await self.hooks.branchDeleted(deleted)
            logger.info("Deleted a branch: \(why)", metadata: ["branch": "\(name)"])
            return "branch \(name) deleted"
        } catch let error as AmplifyError where error.code == .notFound {
            return "branch \(name) was deleted already"
        } catch {
            logger.error("Could not delete a branch", metadata: ["branch": "\(name)", "error": "\(error)"])
            return "branch \(name) not deleted"
        }
    }
}
