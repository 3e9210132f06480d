@testable import AmplifyCompute
import AmplifyCore
import AmplifyProcess
import AmplifyStore
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// The compute supervisor with a launcher that runs nothing: what it starts, how often, and what it stops when.
@Suite struct ComputeSupervisorTests {
    let scope = Fixtures.scope
    let now = Date(timeIntervalSince1970: 1_700_000_000)

    func deployment(jobId: Int, folder: URL) -> ComputeDeployment {
        ComputeDeployment(
            key: JobKey(scope: scope, appId: "d1abc", branchName: "main", jobId: jobId), folder: folder.path,
            resource: .init(name: "default", runtime: "nodejs20.x", entrypoint: "server.js")
        )
    }

    /// Runs `body` while a supervisor (computes on the machine's loopback) serves `store`, then shuts it down.
    func withSupervisor(
        _ store: any Store, _ launcher: FakeProcessLauncher, _ body: (ComputeSupervisor, URL) async throws -> Void
    ) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("computes-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        var configuration = ComputeSupervisor.Configuration()
        configuration.network = .loopback
        let supervisor = ComputeSupervisor(
            store: store, configuration: configuration, files: SiteFiles(root: root), launcher: launcher, owner: nil, hostPath: "/usr/bin:/bin",
            logger: Logger(label: "test")
        )
        try await supervisor.prepare()
        let group = ServiceGroup(services: [supervisor], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await body(supervisor, root)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func aComputeIsStartedOnceWithTheEnvironmentOfAWSAndAFreePort() async throws {
        let launcher = FakeProcessLauncher(startDelay: .milliseconds(100))
        try await withSupervisor(try SQLiteStore(path: nil), launcher) { supervisor, root in
            let deployment = deployment(jobId: 1, folder: root)
            // Two first requests at once start one process.
            async let first = supervisor.start(deployment)
            async let second = supervisor.start(deployment)
            let endpoints = try await [first, second]
            #expect(endpoints[0] == endpoints[1])
            let commands = launcher.commands
            #expect(commands.count == 1)
            let command = try #require(commands.first)
            let port = try #require(command.environment["PORT"])
            #expect(endpoints[0] == "PORT \(port) of 127.0.0.1")
            #expect(command.executable == "node" && command.arguments == ["server.js"])
            #expect(command.workingDirectory == deployment.workingDirectory)
            #expect(command.environment["HOSTNAME"] == "127.0.0.1")
            #expect(command.environment["PATH"] == "/usr/bin:/bin")
            #expect(command.endsWithServer && command.prefix.first == "/usr/bin/env")
            #expect(command.processLimit == launcher.processLimit)
            // Started again once asked after it ran: the same one answers.
            _ = try await supervisor.start(deployment)
            #expect(launcher.commands.count == 1)
        }
    }

    @Test func aComputeThatCannotStartIsTriedAgainOnlyAfterABackoff() async throws {
        let launcher = FakeProcessLauncher(startFails: { _ in true })
        try await withSupervisor(try SQLiteStore(path: nil), launcher) { supervisor, root in
            let deployment = deployment(jobId: 1, folder: root)
            await #expect {
                try await supervisor.start(deployment)
            } throws: { error in
                "\(error)".contains("node could not be started") && "\(error)".contains("apt-get install nodejs")
            }
            await #expect {
                try await supervisor.start(deployment)
            } throws: { error in
                "\(error)".contains("failed to start 1 times in a row")
            }
            #expect(launcher.commands.count == 1)
        }
    }

    @Test func aComputeGoesOnWhileItsDeploymentIsServedAndIsStoppedOnceNot() async throws {
        let store = try SQLiteStore(path: nil)
        try await store.createApp(App(scope: scope, appId: "d1abc", name: "app", now: now))
        var branch = Branch(scope: scope, appId: "d1abc", branchName: "main", now: now)
        branch.liveJobId = 1
        try await store.createBranch(branch)
        let launcher = FakeProcessLauncher()
        try await withSupervisor(store, launcher) { supervisor, root in
            _ = try await supervisor.start(deployment(jobId: 1, folder: root))
            let live = try #require(launcher.started.first)
            await supervisor.stopRetired()
            #expect(live.received.isEmpty)
            // Redeployed: the earlier deployment's compute is drained, then sent SIGTERM (and SIGKILL for what is left
            // of its processes once it has ended).
            _ = try await store.updateBranch(scope, appId: "d1abc", branchName: "main") { $0.liveJobId = 2 }
            await supervisor.stopRetired()
            try await wait { live.received.first == SIGTERM }
            // Its next request starts it again (a restart of the server serves it the same way).
            _ = try await supervisor.start(deployment(jobId: 1, folder: root))
            #expect(launcher.commands.count == 2)
        }
    }

    func wait(until condition: () async throws -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await Fixtures.wait(until: condition, sourceLocation: sourceLocation)
    }
}

/// Which computes go on (`ComputeServing`): the rule alone.
@Suite struct ComputeServingTests {
    func branch(live: Int?, skewProtected: [Int] = [], protection: Bool = false) -> Branch {
        var branch = Branch(scope: Fixtures.scope, appId: "d1abc", branchName: "main", now: Date(timeIntervalSince1970: 1_700_000_000))
        branch.liveJobId = live
        branch.enableSkewProtection = protection
        branch.skewProtectedJobs = skewProtected
        return branch
    }

    @Test func theLiveDeploymentIsServedANewerOneWhileItsJobRunsAndTheRestRetire() {
        #expect(ComputeServing.of(jobId: 3, branch: branch(live: 3), idleSeconds: 10_000) == .served)
        #expect(ComputeServing.of(jobId: 4, branch: branch(live: 3), idleSeconds: 0) == .whileItsJobRuns)
        #expect(ComputeServing.of(jobId: 1, branch: branch(live: nil), idleSeconds: 0) == .whileItsJobRuns)
        #expect(ComputeServing.of(jobId: 2, branch: branch(live: 3), idleSeconds: 0) == .retired("its deployment is no longer served"))
        #expect(ComputeServing.of(jobId: 3, branch: nil, idleSeconds: 0) == .retired("its branch or app was deleted"))
    }

    @Test func aSkewProtectedDeploymentIsServedUntilItIsIdleFiveMinutes() {
        let protected = branch(live: 3, skewProtected: [2], protection: true)
        #expect(ComputeServing.of(jobId: 2, branch: protected, idleSeconds: 299) == .served)
        #expect(ComputeServing.of(jobId: 2, branch: protected, idleSeconds: 300) == .retired("its deployment is no longer served"))
        // Protection turned off: the list no longer counts.
        #expect(ComputeServing.of(jobId: 2, branch: branch(live: 3, skewProtected: [2]), idleSeconds: 0) == .retired("its deployment is no longer served"))
    }
}
