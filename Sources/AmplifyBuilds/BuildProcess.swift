import Foundation
import Subprocess
import SystemPackage
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One process of a build (git, or the shell that runs the build spec), started in its own process group
/// and, when `contained`, in its own PID namespace, so that everything it starts can be ended with it.
///
/// Its standard output and error go to one pipe (or error to a second one, when `errorOutput` is given) that is read
/// as the process writes; the process's end does not wait for the pipes to close, so a daemon that keeps one open
/// cannot hold the build.
/// Every process carries `AMPLIFY_LOCAL_BUILD=<marker>` in its environment, which finds the ones that
/// left the process group (`setsid`) when no namespace holds them.
struct BuildProcess: Sendable {
    enum Outcome: Equatable, Sendable {
        case exited(Int32)
        case signaled(Int32)
        /// Ended by amplify-local for the reason given.
        case stopped(String)
    }

    static let markerVariable = "AMPLIFY_LOCAL_BUILD"

    var executable: String
    var arguments: [String]
    var environment: [String: String]
    var workingDirectory: String
    var marker: String
    var containment: ProcessContainment = .processGroup
    /// The unprivileged user the process runs as (a build's shell, when the server runs as root).
    var runAs: BuildUser? = nil
    /// Words before the containment's (joining a control group, CPU affinity, an rlimit), run with the server's rights.
    var prefix: [String] = []
    /// The most processes it may have (`RLIMIT_NPROC`, where that counts its own alone), nil for no limit of its own.
    var processLimit: ProcessLimit? = nil

    /// Runs the process to its end. `output` gets its output as it comes (and its errors, unless `errorOutput`
    /// takes those); `stopReason` is asked every 100 ms whether to end it, which sends SIGTERM to its process group
    /// and SIGKILL after `grace`.
    func run(
        grace: Duration = .seconds(5),
        output: @escaping @Sendable ([UInt8]) -> Void,
        errorOutput: (@Sendable ([UInt8]) -> Void)? = nil,
        stopReason: @escaping @Sendable () -> String? = { nil }
    ) async throws -> Outcome {
        let (readEnd, writeEnd) = try Self.pipe()
        var pumps = [OutputPump(fileDescriptor: readEnd, output: output)]
        var errorPipe: Int32?
        if let errorOutput {
            let (errorRead, errorWrite) = try Self.pipe()
            pumps.append(OutputPump(fileDescriptor: errorRead, output: errorOutput))
            errorPipe = errorWrite
        }
        let errorWriteEnd = errorPipe
        let state = RunState()
        var variables = self.environment
        variables[Self.markerVariable] = self.marker
        let environment = Environment.custom(Dictionary(uniqueKeysWithValues: variables.map { (Environment.Key(rawValue: $0.key)!, $0.value) }))
        let (contained, containedArguments) = self.containment.wrap(self.executable, self.arguments, runAs: self.runAs, processLimit: self.processLimit)
        let command = self.prefix + [contained] + containedArguments
        let (executable, arguments) = (command[0], Array(command.dropFirst()))
        let workingDirectory = FilePath(self.workingDirectory)
        let status: TerminationStatus
        do {
            status = try await withThrowingTaskGroup(of: TerminationStatus?.self) { group in
                group.addTask {
                    @Sendable func spawn<Errors: ErrorOutputProtocol>(errors: Errors) async throws -> TerminationStatus {
                        var options = PlatformOptions()
                        options.processGroupID = 0
                        return try await Subprocess.run(
                            .name(executable), arguments: Arguments(arguments),
                            environment: environment, workingDirectory: workingDirectory, platformOptions: options,
                            input: .none, output: .fileDescriptor(FileDescriptor(rawValue: writeEnd), closeAfterSpawningProcess: true),
                            error: errors
                        ) { execution in
                            state.groupID.withLock { $0 = execution.processIdentifier.value }
                        }.terminationStatus
                    }
                    if let errorWriteEnd {
                        return try await spawn(errors: .fileDescriptor(FileDescriptor(rawValue: errorWriteEnd), closeAfterSpawningProcess: true))
                    }
                    return try await spawn(errors: .combinedWithOutput)
                }
                group.addTask {
                    while true {
                        try await Task.sleep(for: .milliseconds(100))
                        guard let reason = stopReason(), let pgid = state.groupID.withLock({ $0 }) else { continue }
                        state.stopped.withLock { $0 = reason }
                        kill(-pgid, SIGTERM)
                        try await Task.sleep(for: grace)
                        kill(-pgid, SIGKILL)
                        return nil
                    }
                }
                defer { group.cancelAll() }
                while let result = try await group.next() {
                    if let status = result { return status }
                }
                throw CancellationError()
            }
        } catch {
            if let pgid = state.groupID.withLock({ $0 }) { kill(-pgid, SIGKILL) }
            for pump in pumps { await pump.finish(within: .seconds(1)) }
            throw error
        }
        if let pgid = state.groupID.withLock({ $0 }) { kill(-pgid, SIGKILL) }
        for pump in pumps { await pump.finish(within: .seconds(2)) }
        if let reason = state.stopped.withLock({ $0 }) { return .stopped(reason) }
        switch status {
        case .exited(let code): return .exited(code)
        case .signaled(let signal): return .signaled(signal)
        }
    }

    /// A pipe whose ends are not inherited by other processes (the child gets its own copy of the write end).
    private static func pipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard Glibc.pipe(&fds) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    /// Kills every process whose environment carries `marker` (or, with `prefix`, any marker that starts
    /// with it): what a build left behind after it ended, or what the builds of a crashed server left.
    @discardableResult
    static func killProcesses(marker: String, prefix: Bool = false) -> Int {
        let needle = Array("\(Self.markerVariable)=\(marker)".utf8)
        var killed = 0
        for _ in 0..<20 {
            var found = 0
            let me = getpid()
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
                guard let pid = pid_t(entry), pid != me,
                    let environ = FileManager.default.contents(atPath: "/proc/\(entry)/environ")
                else { continue }
                let hit = environ.split(separator: 0, omittingEmptySubsequences: true).contains {
                    prefix ? $0.starts(with: needle) : $0.elementsEqual(needle)
                }
                if hit, kill(pid, SIGKILL) == 0 { found += 1 }
            }
            killed += found
            if found == 0 { break }
            usleep(10_000)
        }
        return killed
    }
}

/// What the tasks of one `BuildProcess.run` share: the process group, and why it was ended.
private final class RunState: Sendable {
    let groupID = Mutex<pid_t?>(nil)
    let stopped = Mutex<String?>(nil)
}

/// Reads a pipe as data arrives, on a thread of its own (a build has one or two at a time), until its
/// writers close it or `finish` gives up on it. The thread polls, so giving up never leaves it blocked.
private final class OutputPump: Sendable {
    private let done: AsyncStream<Void>
    private let stopRequested = Mutex(false)

    init(fileDescriptor: Int32, output: @escaping @Sendable ([UInt8]) -> Void) {
        let (done, finished) = AsyncStream<Void>.makeStream()
        self.done = done
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            var descriptor = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
            while !self.stopRequested.withLock({ $0 }) {
                let ready = poll(&descriptor, 1, 100)
                if ready < 0 && errno == EINTR { continue }
                if ready <= 0 { if ready < 0 { break } else { continue } }
                let count = buffer.withUnsafeMutableBytes { read(fileDescriptor, $0.baseAddress, $0.count) }
                if count > 0 {
                    output(Array(buffer[0..<count]))
                } else if count < 0 && (errno == EINTR || errno == EAGAIN) {
                    continue
                } else {
                    break
                }
            }
            close(fileDescriptor)
            finished.finish()
        }
    }

    /// Waits for the end of the output, at most `limit`; then stops reading.
    func finish(within limit: Duration) async {
        let done = self.done
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await _ in done {} }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
        self.stopRequested.withLock { $0 = true }
    }
}
