import Synchronization

/// What runs programs for builds, computes, git and image resizing: the one seam between what the server decides and
/// the processes of the machine (`HostProcessLauncher`; tests give a launcher of their own).
public protocol ProcessLauncher: Sendable {
    /// How commands can be held on this machine (the sandbox, a PID namespace), once the launcher has found out.
    var isolation: Isolation { get async }

    /// podman as builds use it, or nil and why not: found out the first time a build wants a container (probing it costs
    /// ~0.5 s of CPU, which a server whose builds name no image never spends), or at start for `--build-runtime podman`.
    var containers: (runtime: ContainerRuntime?, reason: String) { get async }

    /// The most processes (and threads) a build or a compute may have at once (`--build-max-processes`).
    var processLimit: ProcessLimit { get }

    /// Runs `command` to its end in a process group of its own. `output` gets its output as it comes (and its errors,
    /// unless `errorOutput` takes those); `stopReason` is asked every 100 ms whether to end it, which sends SIGTERM to
    /// its process group and SIGKILL after `grace`. The end does not wait for its output's pipes to close (a daemon that
    /// keeps one open cannot hold the caller), and what is left of its process group is killed.
    func run(
        _ command: ProcessCommand, grace: Duration, output: @escaping @Sendable ([UInt8]) -> Void,
        errorOutput: (@Sendable ([UInt8]) -> Void)?, stopReason: @escaping @Sendable () -> String?
    ) async throws -> ProcessOutcome

    /// Starts a long-lived `command` (its output and errors to `output`) and returns once it runs; throws when it could
    /// not be started. `ended` hears how it ended ("exit code 1", "signal 9") once its last output is read.
    func start(
        _ command: ProcessCommand, output: @escaping @Sendable ([UInt8]) -> Void, ended: @escaping @Sendable (String) async -> Void
    ) async throws -> any RunningProcess

    /// Kills every process whose environment carries `marker` (or a marker starting with it, with `prefix`); how many.
    @discardableResult
    func killMarked(_ marker: String, prefix: Bool) -> Int
}

/// A process `ProcessLauncher.start` started.
public protocol RunningProcess: Sendable {
    var pid: Int32 { get }
    /// How it ended ("exit code 1", "signal 9"), nil while it runs.
    var ending: String? { get }
    /// Sends `signal` to the command's own processes (those below a sandbox's, which pass no signal on); SIGKILL goes to
    /// every one of them.
    func signal(_ signal: Int32)
}

/// What a run's output was, read whole (`ProcessLauncher.capture`).
public struct CapturedRun: Sendable {
    public var outcome: ProcessOutcome
    public var output: String
    public var error: String
}

extension ProcessLauncher {
    public var containers: (runtime: ContainerRuntime?, reason: String) {
        get async { (nil, "this launcher runs no containers") }
    }

    /// Runs `command` with its output and errors read whole (at most `limit` bytes of each; ref listings, commit
    /// headers, a tool's complaint), stopped `timeout` after it started (`.stopped` then says so).
    public func capture(_ command: ProcessCommand, timeout: Duration = .seconds(30), limit: Int = 16 << 20) async throws -> CapturedRun {
        let output = Mutex<[UInt8]>([])
        let errors = Mutex<[UInt8]>([])
        let deadline = ContinuousClock.now + timeout
        let name = command.executable.split(separator: "/").last.map(String.init) ?? command.executable
        let outcome = try await self.run(
            command, grace: .seconds(1),
            output: { bytes in output.withLock { if $0.count < limit { $0 += bytes.prefix(limit - $0.count) } } },
            errorOutput: { bytes in errors.withLock { if $0.count < 64 << 10 { $0 += bytes.prefix((64 << 10) - $0.count) } } },
            stopReason: { ContinuousClock.now >= deadline ? "\(name) \(command.arguments.first ?? "") did not answer within \(timeout)" : nil }
        )
        return CapturedRun(
            outcome: outcome, output: String(decoding: output.withLock { $0 }, as: UTF8.self), error: String(decoding: errors.withLock { $0 }, as: UTF8.self)
        )
    }

    /// Runs `command` with its output to `output` (errors with it), stopped when `stopReason` says so.
    public func run(
        _ command: ProcessCommand, grace: Duration = .seconds(5), output: @escaping @Sendable ([UInt8]) -> Void,
        stopReason: @escaping @Sendable () -> String? = { nil }
    ) async throws -> ProcessOutcome {
        try await self.run(command, grace: grace, output: output, errorOutput: nil, stopReason: stopReason)
    }
}
