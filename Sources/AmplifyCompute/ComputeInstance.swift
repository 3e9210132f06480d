import Foundation
import Subprocess
import Synchronization
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// One compute's process (started through swift-subprocess, whose children inherit no other descriptor of the
/// server's: a compute started while another's pipes are being made must not hold them open), where it answers, its
/// network namespace, and how it is used (requests in flight, the last one's time).
final class ComputeInstance: Sendable {
    let port: Int
    /// What makes its network namespace (nil: it runs in the machine's network).
    let namespaces: ComputeNamespaces?
    private struct State {
        var pid: pid_t?
        /// How it ended ("exit code 1", "signal 9"), nil while it runs.
        var ended: String?
        var namespace: ComputeNamespaces.Namespace?
        var released = false
        /// Whether it listens where the server reaches it (requests go to it only then).
        var ready = false
        /// Whether its output has been read to its end.
        var outputRead = false
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

    /// Starts `command` (its output and errors to `output`) and returns its pid once it runs; throws when it could
    /// not be started. When it ends, `ended` hears how, and its network is released.
    func start(
        _ command: [String], environment: [String: String], workingDirectory: String, output: ComputeOutput,
        ended: @escaping @Sendable (String) -> Void
    ) async throws -> pid_t {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let reader = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true)
        reader.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                self.state.withLock { $0.outputRead = true }
            } else {
                output.append(data)
            }
        }
        let options = {
            var options = PlatformOptions()
            options.processGroupID = 0
            return options
        }()
        let variables = Environment.custom(Dictionary(uniqueKeysWithValues: environment.map { (Environment.Key(rawValue: $0.key)!, $0.value) }))
        let (executable, arguments) = (command[0], Array(command.dropFirst()))
        let writer = fds[1]
        return try await withCheckedThrowingContinuation { (started: CheckedContinuation<pid_t, any Error>) in
            Task.detached {
                let how: String
                do {
                    let result = try await Subprocess.run(
                        .path(FilePath(executable)), arguments: Arguments(arguments), environment: variables,
                        workingDirectory: FilePath(workingDirectory), platformOptions: options, input: .none,
                        output: .fileDescriptor(FileDescriptor(rawValue: writer), closeAfterSpawningProcess: true), error: .combinedWithOutput
                    ) { execution in
                        self.state.withLock { $0.pid = execution.processIdentifier.value }
                        started.resume(returning: execution.processIdentifier.value)
                    }
                    switch result.terminationStatus {
                    case .exited(let code): how = "exit code \(code)"
                    case .signaled(let signal): how = "signal \(signal)"
                    }
                } catch {
                    // Not started: the body, which says it started, did not run.
                    guard self.pid != nil else { return started.resume(throwing: error) }
                    how = "\(error)"
                }
                self.state.withLock { $0.ended = how }
                // Its last words are read before its end is told (the reader lives until then).
                for _ in 0..<100 where !self.state.withLock({ $0.outputRead }) { try? await Task.sleep(for: .milliseconds(10)) }
                withExtendedLifetime(reader) {}
                ended(how)
                await self.releaseNetwork()
            }
        }
    }

    var pid: pid_t? { self.state.withLock { $0.pid } }

    var isRunning: Bool { self.state.withLock { $0.pid != nil && $0.ended == nil } }

    /// Running and listening: requests may go to it.
    var isServing: Bool { self.state.withLock { $0.pid != nil && $0.ended == nil && $0.ready } }

    func listening() {
        self.state.withLock { $0.ready = true }
    }

    /// How it ended, nil while it runs.
    var ending: String? { self.state.withLock { $0.ended } }

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
