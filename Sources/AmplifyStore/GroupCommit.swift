import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Makes committed SQLite transactions durable with one `fsync` of the WAL for many of them.
///
/// The database runs with `synchronous=NORMAL`: a commit writes its WAL frames but does not sync
/// them. Before a write is acknowledged, its caller awaits `sync()`, which returns once an `fsync`
/// of the WAL file that began after the caller's commit has finished. Concurrent callers share one
/// `fsync`: the same durability as `synchronous=FULL` (the WAL synced after each commit, before
/// anyone hears of it), at the cost of one sync per batch instead of one per transaction.
final class GroupCommit: Sendable {
    private struct State {
        /// Tickets handed out: one per commit that asked to be made durable.
        var issued = 0
        /// Every ticket up to this one is on disk.
        var synced = 0
        /// Whether an fsync is under way.
        var syncing = false
        var waiters: [(ticket: Int, continuation: CheckedContinuation<Void, any Error>)] = []
    }

    private let walPath: String
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "amplify-local.group-commit")

    /// Call once the database is open: the WAL's directory entry is synced here, the WAL at each `sync()`.
    init(databasePath: String) throws {
        self.walPath = databasePath + "-wal"
        try Self.fsync((databasePath as NSString).deletingLastPathComponent)
    }

    /// Returns when every transaction committed before the call is on disk.
    func sync() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let lead: Int? = self.state.withLock { state in
                state.issued += 1
                state.waiters.append((state.issued, continuation))
                guard !state.syncing else { return nil }
                state.syncing = true
                return state.issued
            }
            if let lead { self.queue.async { self.flush(through: lead) } }
        }
    }

    /// Syncs the WAL, then releases the waiters it covers; goes on while newer waiters arrived meanwhile.
    private func flush(through target: Int) {
        var target = target
        while true {
            let result = Result { try Self.fsync(self.walPath) }
            let (released, next): ([CheckedContinuation<Void, any Error>], Int?) = self.state.withLock { state in
                if case .success = result { state.synced = max(state.synced, target) }
                let done = state.waiters.filter { $0.ticket <= target }.map(\.continuation)
                state.waiters.removeAll { $0.ticket <= target }
                guard !state.waiters.isEmpty else {
                    state.syncing = false
                    return (done, nil)
                }
                return (done, state.issued)
            }
            for continuation in released {
                continuation.resume(with: result)
            }
            guard let next else { return }
            target = next
        }
    }

    private static func fsync(_ path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(descriptor) }
        guard Glibc.fsync(descriptor) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }
}
