import AmplifyProcess
import Foundation
import Synchronization

/// One compute's process, where it answers, its network namespace, and how it is used (requests in flight, the last
/// one's time).
final class ComputeInstance: Sendable {
    let port: Int
    /// What makes its network namespace (nil: it runs in the machine's network).
    let namespaces: ComputeNamespaces?
    private struct State {
        var process: (any RunningProcess)?
        var namespace: ComputeNamespaces.Namespace?
        var released = false
        /// Whether it listens where the server reaches it (requests go to it only then).
        var ready = false
    }
    private let state = Mutex(State())
    let startedAt = ContinuousClock.now
    /// Requests being answered (their responses not ended yet).
    let inFlight = Atomic<Int>(0)
    /// When the last request came, in nanoseconds since `startedAt`.
    private let lastUsed = Atomic<Int64>(0)

    init(port: Int, namespaces: ComputeNamespaces?) {
        self.port = port
        self.namespaces = namespaces
    }

    /// Starts `command` with `launcher` (its output and errors to `output`) and returns its pid once it runs; throws
    /// when it could not be started. When it ends, `ended` hears how, and its network is released.
    func start(
        _ command: ProcessCommand, launcher: any ProcessLauncher, output: ComputeOutput, ended: @escaping @Sendable (String) -> Void
    ) async throws -> Int32 {
        let process = try await launcher.start(command, output: { output.append(Data($0)) }) { how in
            ended(how)
            await self.releaseNetwork()
        }
        self.state.withLock { $0.process = process }
        return process.pid
    }

    var pid: Int32? { self.state.withLock { $0.process?.pid } }

    var isRunning: Bool { self.state.withLock { $0.process.map { $0.ending == nil } ?? false } }

    /// Running and listening: requests may go to it.
    var isServing: Bool { self.isRunning && self.state.withLock { $0.ready } }

    func listening() {
        self.state.withLock { $0.ready = true }
    }

    /// How it ended, nil while it runs.
    var ending: String? { self.state.withLock { $0.process?.ending } }

    /// Sends `signal` to its processes (`RunningProcess.signal`).
    func signal(_ signal: Int32) {
        self.state.withLock { $0.process }?.signal(signal)
    }

    /// Where it answers: its namespace's address, or the machine's loopback.
    var host: String {
        self.state.withLock { $0.namespace?.address } ?? ComputeSupervisor.loopbackAddress
    }

    /// Its namespace is connected (released at once when it has ended meanwhile).
    func attached(_ namespace: ComputeNamespaces.Namespace) async {
        let late = self.state.withLock { state -> Bool in
            guard !state.released else { return true }
            state.namespace = namespace
            return false
        }
        if late { await self.namespaces?.release(namespace, immediately: true) }
    }

    /// Removes its pair (once its process has ended).
    func releaseNetwork() async {
        let namespace = self.state.withLock { state -> ComputeNamespaces.Namespace? in
            defer { (state.namespace, state.released) = (nil, true) }
            return state.namespace
        }
        if let namespace { await self.namespaces?.release(namespace) }
    }

    var idle: Duration {
        let used = self.startedAt + .nanoseconds(self.lastUsed.load(ordering: .relaxed))
        return ContinuousClock.now - used
    }

    func used() {
        let elapsed = ContinuousClock.now - self.startedAt
        self.lastUsed.store(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000, ordering: .relaxed)
    }

    var endpoint: String {
        self.namespaces == nil ? "PORT \(self.port) of 127.0.0.1" : "port \(self.port) in a network namespace of its own (\(self.host))"
    }
}
