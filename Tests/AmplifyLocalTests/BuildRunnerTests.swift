import AmplifyBuilds
import AmplifyCore
import AmplifyProcess
import AmplifyStore
import Foundation
import Logging
import ServiceLifecycle
import Testing

@Suite struct BuildRunnerTests {
    let scope = Fixtures.scope
    let now = Date(timeIntervalSince1970: 1_700_000_000)

    /// Simulated builds of `seconds`, at most `concurrent` at once.
    func simulated(seconds: Double = 1, concurrent: Int = 5, poll: Duration = .seconds(1)) -> BuildRunner.Configuration {
        var configuration = BuildRunner.Configuration()
        configuration.mode = .simulate
        configuration.simulatedBuildSeconds = seconds
        configuration.maxConcurrentBuilds = concurrent
        configuration.pollInterval = poll
        return configuration
    }

    /// Runs `body` while a runner serves `store` (as node "this" of a shared store when `shared`), then shuts the
    /// runner down.
    func withRunner(
        _ store: any Store, _ configuration: BuildRunner.Configuration, shared: Bool = false,
        launcher: any ProcessLauncher = HostProcessLauncher(logger: Logger(label: "test")), _ body: (BuildRunner) async throws -> Void
    ) async throws {
        var context = BuildRunner.Context(launcher: launcher)
        if shared {
            context.node = "this"
            context.sharedStore = true
        }
        let runner = BuildRunner(store: store, configuration: configuration, context: context, logger: Logger(label: "test"))
        let group = ServiceGroup(services: [runner], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await body(runner)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    func seed(_ store: any Store, branches: [String]) async throws {
        var app = App(scope: scope, appId: "d1abc", name: "app", now: now)
        app.repository = "/srv/repo"
        try await store.createApp(app)
        for branch in branches {
            try await store.createBranch(Branch(scope: scope, appId: "d1abc", branchName: branch, now: now))
        }
    }

    func wait(until condition: () async throws -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await Fixtures.wait(until: condition, sourceLocation: sourceLocation)
    }

    @Test func honoursTheConcurrencyLimit() async throws {
        let store = try SQLiteStore(path: nil)
        let branches = (1...4).map { "b\($0)" }
        try await seed(store, branches: branches)
        try await withRunner(store, simulated(seconds: 0.6, concurrent: 2)) { runner in
            for branch in branches {
                _ = try await store.startJob(scope, appId: "d1abc", branchName: branch, JobRequest(jobType: .release), now: now)
            }
            runner.wake()
            try await Task.sleep(for: .milliseconds(200))
            let statuses = try await branches.asyncMap {
                try await store.job(JobKey(scope: scope, appId: "d1abc", branchName: $0, jobId: 1)).status
            }
            #expect(statuses.filter { $0 == .pending }.count == 2)
            #expect(runner.runningCount <= 2)
            try await wait {
                try await branches.asyncMap {
                    try await store.job(JobKey(scope: scope, appId: "d1abc", branchName: $0, jobId: 1)).status
                }.allSatisfy { $0 == .succeed }
            }
        }
    }

    @Test func stoppingAPendingJobCancelsIt() async throws {
        let store = try SQLiteStore(path: nil)
        try await seed(store, branches: ["a", "b"])
        try await withRunner(store, simulated(seconds: 5, concurrent: 1)) { runner in
            _ = try await store.startJob(scope, appId: "d1abc", branchName: "a", JobRequest(jobType: .release), now: now)
            runner.wake()
            try await wait { runner.runningCount == 1 }
            _ = try await store.startJob(scope, appId: "d1abc", branchName: "b", JobRequest(jobType: .release), now: now)
            let waiting = JobKey(scope: scope, appId: "d1abc", branchName: "b", jobId: 1)
            _ = try await store.updateJob(waiting) { [now] in try $0.stop(at: now) }
            runner.stop(waiting)
            try await wait { try await store.job(waiting).status == .cancelled }
            let running = JobKey(scope: scope, appId: "d1abc", branchName: "a", jobId: 1)
            _ = try await store.updateJob(running) { [now] in try $0.stop(at: now) }
            runner.stop(running)
            try await wait { try await store.job(running).status == .cancelled }
        }
    }

    @Test func aDeletedBranchEndsItsBuild() async throws {
        let store = try SQLiteStore(path: nil)
        try await seed(store, branches: ["a"])
        try await withRunner(store, simulated(seconds: 5, concurrent: 1)) { runner in
            _ = try await store.startJob(scope, appId: "d1abc", branchName: "a", JobRequest(jobType: .release), now: now)
            runner.wake()
            try await wait { runner.runningCount == 1 }
            _ = try await store.deleteBranch(scope, appId: "d1abc", branchName: "a")
            runner.stopBuilds(of: scope, appId: "d1abc", branchName: "a")
            try await wait { runner.runningCount == 0 }
        }
    }

    @Test func jobsLeftRunningByACrashFailAtStart() async throws {
        let store = try SQLiteStore(path: nil)
        try await seed(store, branches: ["a"])
        _ = try await store.startJob(scope, appId: "d1abc", branchName: "a", JobRequest(jobType: .release), now: now)
        _ = try await store.claimNextPendingJob(node: "crashed", leaseUntil: Date() + 600, now: now)
        try await withRunner(store, simulated(seconds: 0)) { _ in
            let key = JobKey(scope: scope, appId: "d1abc", branchName: "a", jobId: 1)
            try await wait { try await store.job(key).status == .failed }
            let job = try await store.job(key)
            #expect(job.steps.last?.statusReason?.contains("interrupted") == true)
        }
    }

    /// With a shared store, a job another node claimed is left to it while its lease runs, and ended as FAILED
    /// once the lease runs out (the node died).
    @Test func aSharedStoresJobsFailOnlyWhenTheirLeaseRunsOut() async throws {
        let store = try SQLiteStore(path: nil)
        try await seed(store, branches: ["a"])
        _ = try await store.startJob(scope, appId: "d1abc", branchName: "a", JobRequest(jobType: .release), now: now)
        _ = try await store.claimNextPendingJob(node: "other", leaseUntil: Date() + 1, now: now)
        try await withRunner(store, simulated(poll: .milliseconds(50)), shared: true) { _ in
            let key = JobKey(scope: scope, appId: "d1abc", branchName: "a", jobId: 1)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await store.job(key).status == .provisioning)
            try await wait { try await store.job(key).status == .failed }
            #expect(try await store.job(key).steps.last?.statusReason?.contains("abandoned") == true)
        }
    }

    /// A stop that reaches the store only (StopJob on another node) stops the build: renewing the lease tells.
    @Test func aStopWrittenByAnotherNodeStopsTheBuild() async throws {
        let store = try SQLiteStore(path: nil)
        try await seed(store, branches: ["a"])
        // Provisioning takes a tenth of the simulated time: 2 s, then the build runs for 10 s unless stopped.
        try await withRunner(store, simulated(seconds: 20, poll: .milliseconds(50)), shared: true) { runner in
            let key = try await store.startJob(scope, appId: "d1abc", branchName: "a", JobRequest(jobType: .release), now: now).key
            runner.wake()
            try await wait { try await store.job(key).status == .running }
            _ = try await store.updateJob(key) { [now] in try $0.stop(at: now) }
            try await wait { try await store.job(key).status == .cancelled }
            try await wait { runner.runningCount == 0 }
        }
    }

    /// An app on a remote repository with a branch `main` whose build spec runs `command`, and a launcher that runs
    /// nothing: a clone makes an empty checkout, `git log` names `commit`, the build shell ends as `shell` says.
    func realBuild(
        _ store: any Store, command: String, commit: String, shell: ProcessOutcome, output: String = ""
    ) async throws -> FakeProcessLauncher {
        var app = App(scope: scope, appId: "d1abc", name: "app", now: now)
        app.repository = "https://git.example/app.git"
        try await store.createApp(app)
        var branch = Branch(scope: scope, appId: "d1abc", branchName: "main", now: now)
        branch.buildSpec = "version: 1\nfrontend:\n  phases:\n    build:\n      commands:\n        - \(command)\n  artifacts:\n    baseDirectory: dist\n    files: ['**/*']\n"
        try await store.createBranch(branch)
        return FakeProcessLauncher(outcomes: { command -> (ProcessOutcome, output: String) in
            if command.executable == "git", command.arguments.first == "clone", let folder = command.arguments.last {
                try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            }
            if command.executable == "git", command.arguments.first == "log" { return (.exited(0), "\(commit)\u{0}1700000000\u{0}The first commit") }
            if command.executable.hasSuffix("bash") { return (shell, output) }
            return (.exited(0), "")
        })
    }

    var realMode: BuildRunner.Configuration {
        var configuration = simulated()
        configuration.mode = .run
        return configuration
    }

    /// A real build through the fake launcher: git clones and names the commit, the build shell gets AWS's variables
    /// and fails with exit code 2, which fails the job with that reason.
    @Test func aRealBuildRunsGitAndTheBuildShellThroughTheLauncher() async throws {
        let store = try SQLiteStore(path: nil)
        let commit = String(repeating: "c", count: 40)
        let launcher = try await realBuild(store, command: "npm run build", commit: commit, shell: .exited(2), output: "npm ERR! missing script: build\n")
        try await withRunner(store, realMode, launcher: launcher) { runner in
            let key = try await store.startJob(scope, appId: "d1abc", branchName: "main", JobRequest(jobType: .release), now: now).key
            runner.wake()
            try await wait { try await store.job(key).status == .failed }
            let job = try await store.job(key)
            #expect(job.commitId == commit && job.commitMessage == "The first commit")
            #expect(job.steps.first { $0.stepName == "BUILD" }?.statusReason?.contains("exit code 2") == true)
            let commands = launcher.commands
            let clone = try #require(commands.first)
            #expect(clone.executable == "git" && clone.arguments.contains("clone") && clone.arguments.contains("https://git.example/app.git"))
            let shell = try #require(commands.first { $0.executable.hasSuffix("bash") })
            #expect(shell.environment["AWS_APP_ID"] == "d1abc" && shell.environment["AWS_COMMIT_ID"] == commit && shell.environment["CI"] == "true")
            #expect(shell.marker == clone.marker && shell.marker != nil)
        }
    }

    /// StopJob while the build shell runs (the fake's shell runs until asked to stop): the job ends CANCELLED.
    @Test func stoppingARealBuildStopsItsProcess() async throws {
        let store = try SQLiteStore(path: nil)
        let launcher = try await realBuild(store, command: "sleep 600", commit: String(repeating: "d", count: 40), shell: .stopped(""))
        try await withRunner(store, realMode, launcher: launcher) { runner in
            let key = try await store.startJob(scope, appId: "d1abc", branchName: "main", JobRequest(jobType: .release), now: now).key
            runner.wake()
            try await wait { launcher.commands.contains { $0.executable.hasSuffix("bash") } }
            _ = try await store.updateJob(key) { [now] in try $0.stop(at: now) }
            runner.stop(key)
            try await wait { try await store.job(key).status == .cancelled }
            try await wait { runner.runningCount == 0 }
        }
    }
}

extension Array {    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
