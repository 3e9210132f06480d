import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Reads a pipe as data arrives, on a thread of its own (a build has one or two at a time, a compute one), until its
/// writers close it or `finish` gives up on it. The thread polls, so giving up never leaves it blocked.
final class OutputPump: Sendable {
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

    /// A pipe whose ends are not inherited by other processes (the child gets its own copy of the write end).
    static func pipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard Glibc.pipe(&fds) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }
}
