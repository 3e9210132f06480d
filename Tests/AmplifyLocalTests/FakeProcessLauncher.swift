import AmplifyProcess
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A `ProcessLauncher` that runs nothing: it records each command, answers `run` with the outcome `outcomes` gives,
/// and "starts" a long-lived command by listening on the port its `PORT` variable names (as a compute's server does),
/// until it is signalled.
final class FakeProcessLauncher: ProcessLauncher {
    let processLimit = ProcessLimit(maximum: 100)
    var isolation: Isolation { get async { .unprobed } }

    private let recorded = Mutex<[ProcessCommand]>([])
    private let listeners = Mutex<[Listener]>([])
    /// The outcome of a run of `command`, with output it writes first.
    let outcomes: @Sendable (ProcessCommand) -> (ProcessOutcome, output: String)
    /// Whether a start fails (the program cannot be found).
    let startFails: @Sendable (ProcessCommand) -> Bool
    /// How long a start takes.
    let startDelay: Duration

    init(
        startDelay: Duration = .zero, startFails: @escaping @Sendable (ProcessCommand) -> Bool = { _ in false },
        outcomes: @escaping @Sendable (ProcessCommand) -> (ProcessOutcome, output: String) = { _ in (.exited(0), "") }
    ) {
        self.startDelay = startDelay
        self.startFails = startFails
        self.outcomes = outcomes
    }

    /// The commands run and started, in order.
    var commands: [ProcessCommand] { self.recorded.withLock { $0 } }
    /// The processes started, in order.
    var started: [Listener] { self.listeners.withLock { $0 } }

    struct NotFound: Error {}

    func run(
        _ command: ProcessCommand, grace: Duration, output: @escaping @Sendable ([UInt8]) -> Void,
        errorOutput: (@Sendable ([UInt8]) -> Void)?, stopReason: @escaping @Sendable () -> String?
    ) async throws -> ProcessOutcome {
        self.recorded.withLock { $0.append(command) }
        let (outcome, text) = self.outcomes(command)
        output(Array(text.utf8))
        if case .stopped = outcome {
            // A stop: the outcome given is the one asked for, once `stopReason` asks.
            while true {
                if let reason = stopReason() { return .stopped(reason) }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        return outcome
    }

    func start(
        _ command: ProcessCommand, output: @escaping @Sendable ([UInt8]) -> Void, ended: @escaping @Sendable (String) async -> Void
    ) async throws -> any RunningProcess {
        self.recorded.withLock { $0.append(command) }
        try await Task.sleep(for: self.startDelay)
        if self.startFails(command) { throw NotFound() }
        let port = Int(command.environment["PORT"] ?? "") ?? 0
        output(Array("listening on \(port)\n".utf8))
        let listener = try Listener(port: port, ended: ended)
        self.listeners.withLock { $0.append(listener) }
        return listener
    }

    func killMarked(_ marker: String, prefix: Bool) -> Int { 0 }

    /// A "process" that is a listening socket on 127.0.0.1, closed by any signal.
    final class Listener: RunningProcess {
        let pid: Int32 = 999_999
        private let socket: Mutex<Int32?>
        private let ended: @Sendable (String) async -> Void
        private let ends = Mutex<String?>(nil)
        private let signals = Mutex<[Int32]>([])

        init(port: Int, ended: @escaping @Sendable (String) async -> Void) throws {
            let descriptor = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var one: Int32 = 1
            setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0, listen(descriptor, 8) == 0 else {
                close(descriptor)
                throw NotFound()
            }
            self.socket = Mutex(descriptor)
            self.ended = ended
        }

        var ending: String? { self.ends.withLock { $0 } }
        /// The signals it was sent, in order.
        var received: [Int32] { self.signals.withLock { $0 } }

        func signal(_ signal: Int32) {
            self.signals.withLock { $0.append(signal) }
            guard let descriptor = self.socket.withLock({ socket in defer { socket = nil }; return socket }) else { return }
            close(descriptor)
            self.ends.withLock { $0 = "signal \(signal)" }
            let ended = self.ended
            Task { await ended("signal \(signal)") }
        }
    }
}
