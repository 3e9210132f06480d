import AmplifyCore
import Foundation
import Logging
import ServiceLifecycle
import Subprocess
import Synchronization
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Runs programs on this machine (swift-subprocess), held as their `ProcessCommand` says, and finds out once how this
/// machine lets them be held (`isolation`): a sandbox required (`--build-sandbox bubblewrap`, or `--build-network
/// none`) is decided before the server starts (`prepare`), `auto` in the background once it runs (the probe runs bwrap,
/// ~30 ms, and the server need not wait for it to answer). A `Service`: the watchers of the processes it `start`s are
/// its tasks, so none outlives the server.
public final class HostProcessLauncher: ProcessLauncher, Service {
    /// The process layer's options.
    public struct Configuration: Sendable {
        /// Whether builds and computes run in the bubblewrap sandbox (`--build-sandbox`).
        public var sandbox = Sandbox.Mode.auto
        /// Whether sandboxed builds reach the network (`--build-network all|none`).
        public var network = true
        /// The most processes (and threads) a build or an SSR compute has at once (`--build-max-processes`).
        public var maxProcesses = ProcessLimit.defaultMaximum
        /// Whether the machine is probed at all (not when every build is simulated).
        public var probes = true
        /// Where builds run: on the host, or in a container under podman (`--build-runtime`).
        public var buildRuntime = BuildRuntime.auto
        /// The server's environment, whose podman variables (`CONTAINERS_STORAGE_CONF`, …) podman runs with.
        public var environment: [String: String] = [:]

        public init() {}
    }

    private let configuration: Configuration
    private let logger: Logger
    private let decided = Eventual<Isolation>()
    private let podman = Eventual<(runtime: ContainerRuntime?, reason: String)>()
    private let podmanAsked = Mutex(false)
    private let tasks = ServiceTasks()
    public let processLimit: ProcessLimit

    public init(configuration: Configuration = Configuration(), logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.processLimit = ProcessLimit(maximum: configuration.maxProcesses)
    }

    public var isolation: Isolation {
        get async { await self.decided.value }
    }

    /// Decides at once what the server's start depends on: a sandbox that is required (`bubblewrap`, or any sandbox for
    /// `--build-network none`), which throws `Sandbox.Unavailable` naming why it cannot be made, and podman when builds
    /// must run in containers (`--build-runtime podman`), which throws `ContainerRuntime.Unavailable`.
    public func prepare() async throws {
        guard self.configuration.probes else { return self.decided.decide(.unprobed) }
        let sandboxRequired = self.configuration.sandbox == .bubblewrap || !self.configuration.network
        if self.configuration.buildRuntime == .podman {
            let podman = try await ContainerRuntime.resolve(.podman, environment: self.configuration.environment)
            self.podmanAsked.withLock { $0 = true }
            self.decide(podman)
        }
        guard sandboxRequired else { return }
        let (sandbox, reason) = try await Sandbox.resolve(self.configuration.sandbox, network: self.configuration.network)
        await self.settle(sandbox, reason)
    }

    public var containers: (runtime: ContainerRuntime?, reason: String) {
        get async {
            guard self.configuration.probes else { return (nil, "builds are simulated: nothing probed") }
            if self.configuration.buildRuntime == .host { return (nil, "--build-runtime host") }
            let first = self.podmanAsked.withLock { asked in
                defer { asked = true }
                return !asked
            }
            if first {
                // `auto` does not throw: without podman, builds run on the host, saying why.
                self.decide(
                    (try? await ContainerRuntime.resolve(self.configuration.buildRuntime, environment: self.configuration.environment))
                        ?? (nil, "podman could not be probed")
                )
            }
            return await self.podman.value
        }
    }

    private func decide(_ containers: (runtime: ContainerRuntime?, reason: String)) {
        self.logger.notice(
            containers.runtime != nil ? "Builds that name an image run in containers" : "Builds run on the host: no containers",
            metadata: ["reason": "\(containers.reason)", "build.runtime": "\(self.configuration.buildRuntime.rawValue)"]
        )
        self.podman.decide(containers)
    }

    public func run() async throws {
        if self.decided.decided == nil {
            self.tasks.add {
                // `auto` with the network does not throw: it falls back to no sandbox, saying why.
                let resolved: (sandbox: Sandbox?, reason: String) =
                    (try? await Sandbox.resolve(self.configuration.sandbox, network: self.configuration.network)) ?? (nil, "the sandbox could not be probed")
                await self.settle(resolved.sandbox, resolved.reason)
            }
        }
        await withGracefulShutdownHandler {
            await self.tasks.run()
        } onGracefulShutdown: {
            self.tasks.finish()
        }
    }

    private func settle(_ sandbox: Sandbox?, _ reason: String) async {
        let containment = await ProcessContainment.probe()
        self.logger.notice(
            sandbox != nil ? "Builds run in a bubblewrap sandbox" : "Builds run without a sandbox",
            metadata: ["reason": "\(reason)", "network": "\(self.configuration.network ? "all" : "none")"]
        )
        self.logger.debug(
            "Builds are contained by \(sandbox != nil ? "the sandbox" : containment.description)",
            metadata: ["build.users": "\(ProcessUser.available ? "one per build" : "the server's own")"]
        )
        self.decided.decide(
            Isolation(
                sandbox: sandbox, sandboxReason: reason, containment: containment, buildRuntime: self.configuration.buildRuntime,
                network: self.configuration.network
            )
        )
    }

    public func killMarked(_ marker: String, prefix: Bool) -> Int {
        ProcessTable.killMarked(marker, prefix: prefix)
    }

    public func run(
        _ command: ProcessCommand, grace: Duration, output: @escaping @Sendable ([UInt8]) -> Void,
        errorOutput: (@Sendable ([UInt8]) -> Void)?, stopReason: @escaping @Sendable () -> String?
    ) async throws -> ProcessOutcome {
        let (readEnd, writeEnd) = try OutputPump.pipe()
        var pumps = [OutputPump(fileDescriptor: readEnd, output: output)]
        var errorWriteEnd: Int32?
        if let errorOutput {
            let (errorRead, errorWrite) = try OutputPump.pipe()
            pumps.append(OutputPump(fileDescriptor: errorRead, output: errorOutput))
            errorWriteEnd = errorWrite
        }
        let state = RunState()
        let status: TerminationStatus
        do {
            status = try await withThrowingTaskGroup(of: TerminationStatus?.self) { tasks in
                tasks.addTask { [errorWriteEnd] in
                    try await Self.spawn(command, output: writeEnd, errors: errorWriteEnd) { pid in state.group.withLock { $0 = pid } }
                }
                tasks.addTask {
                    while true {
                        try await Task.sleep(for: .milliseconds(100))
                        guard let reason = stopReason(), let pgid = state.group.withLock({ $0 }) else { continue }
                        state.stopped.withLock { $0 = reason }
                        kill(-pgid, SIGTERM)
                        try await Task.sleep(for: grace)
                        kill(-pgid, SIGKILL)
                        return nil
                    }
                }
                defer { tasks.cancelAll() }
                while let result = try await tasks.next() {
                    if let status = result { return status }
                }
                throw CancellationError()
            }
        } catch {
            if let pgid = state.group.withLock({ $0 }) { kill(-pgid, SIGKILL) }
            for pump in pumps { await pump.finish(within: .seconds(1)) }
            throw error
        }
        if let pgid = state.group.withLock({ $0 }) { kill(-pgid, SIGKILL) }
        for pump in pumps { await pump.finish(within: .seconds(2)) }
        if let reason = state.stopped.withLock({ $0 }) { return .stopped(reason) }
        switch status {
        case .exited(let code): return .exited(code)
        case .signaled(let signal): return .signaled(signal)
        }
    }

    public func start(
        _ command: ProcessCommand, output: @escaping @Sendable ([UInt8]) -> Void, ended: @escaping @Sendable (String) async -> Void
    ) async throws -> any RunningProcess {
        let (readEnd, writeEnd) = try OutputPump.pipe()
        let pump = OutputPump(fileDescriptor: readEnd, output: output)
        return try await withCheckedThrowingContinuation { (started: CheckedContinuation<any RunningProcess, any Error>) in
            let queued = self.tasks.add {
                let process = Mutex<HostProcess?>(nil)
                let how: String
                do {
                    let status = try await Self.spawn(command, output: writeEnd, errors: nil) { pid in
                        let running = HostProcess(pid: pid)
                        process.withLock { $0 = running }
                        started.resume(returning: running)
                    }
                    switch status {
                    case .exited(let code): how = "exit code \(code)"
                    case .signaled(let signal): how = "signal \(signal)"
                    }
                } catch {
                    // Not started: the body, which says it started, did not run.
                    guard process.withLock({ $0 }) != nil else {
                        await pump.finish(within: .zero)
                        return started.resume(throwing: error)
                    }
                    how = "\(error)"
                }
                process.withLock { $0 }?.ended(how)
                // Its last words are read before its end is told.
                await pump.finish(within: .seconds(1))
                await ended(how)
            }
            if !queued {
                close(writeEnd)
                started.resume(throwing: CancellationError())
            }
        }
    }

    /// Spawns `command` in a process group of its own (`started` hears its pid, the group's id) with its output to
    /// `output` and its errors to `errors` (with the output when nil), and waits for its end.
    private static func spawn(
        _ command: ProcessCommand, output: Int32, errors: Int32?, started: @escaping @Sendable (pid_t) -> Void
    ) async throws -> TerminationStatus {
        let line = command.commandLine
        let executable: Executable = line[0].hasPrefix("/") ? .path(FilePath(line[0])) : .name(line[0])
        let arguments = Arguments(Array(line.dropFirst()))
        let environment = Environment.custom(Dictionary(uniqueKeysWithValues: command.markedEnvironment.compactMap { key, value in
            Environment.Key(rawValue: key).map { ($0, value) }
        }))
        let workingDirectory = FilePath(command.workingDirectory)
        var options = PlatformOptions()
        options.processGroupID = 0
        let outputs = FileDescriptor(rawValue: output)
        func spawn<Input: InputProtocol, Errors: ErrorOutputProtocol>(_ input: Input, _ errors: Errors) async throws -> TerminationStatus {
            try await Subprocess.run(
                executable, arguments: arguments, environment: environment, workingDirectory: workingDirectory, platformOptions: options,
                input: input, output: .fileDescriptor(outputs, closeAfterSpawningProcess: true), error: errors
            ) { execution in
                started(execution.processIdentifier.value)
            }.terminationStatus
        }
        switch (command.input, errors) {
        case (nil, nil): return try await spawn(.none, .combinedWithOutput)
        case (nil, let errors?): return try await spawn(.none, .fileDescriptor(FileDescriptor(rawValue: errors), closeAfterSpawningProcess: true))
        case (let input?, nil): return try await spawn(.string(input), .combinedWithOutput)
        case (let input?, let errors?):
            return try await spawn(.string(input), .fileDescriptor(FileDescriptor(rawValue: errors), closeAfterSpawningProcess: true))
        }
    }
}

/// What the tasks of one `HostProcessLauncher.run` share: the process group, and why it was ended.
private final class RunState: Sendable {
    let group = Mutex<pid_t?>(nil)
    let stopped = Mutex<String?>(nil)
}
