import Foundation
import Synchronization

/// The sites a node holds of those kept in the object store (`SharedFolders`), by job: fetched once, on first use
/// (one fetch at a time per folder, whoever asks), then served from disk. A job's site never changes once it is live, so
/// an entry stays good until its branch is made again under the same name (its job ids start over: `generation` is the
/// branch's creation time). Bounded: past `limitBytes`, the sites used least recently go, but never one used within the
/// last `idleSeconds` (a request may be reading it), so the cache can run over its bound for a while.
public final class SiteCache: Sendable {
    struct Entry {
        var generation: Double
        var bytes: Int64
        var lastUse: ContinuousClock.Instant
    }

    struct State {
        var entries: [JobKey: Entry] = [:]
        var fetching: [JobKey: Task<Void, any Error>] = [:]
        var bytes: Int64 = 0
    }

    public let limitBytes: Int64
    let idleSeconds: Int
    private let state = Mutex(State())

    public init(limitBytes: Int64, idleSeconds: Int = 60) {
        self.limitBytes = limitBytes
        self.idleSeconds = idleSeconds
    }

    /// The bytes held now.
    public var bytes: Int64 { self.state.withLock { $0.bytes } }

    /// Whether the node holds generation `generation` of the job's site (then marked used).
    func holds(_ folder: JobKey, generation: Double) -> Bool {
        self.state.withLock { state in
            guard state.entries[folder]?.generation == generation else { return false }
            state.entries[folder]?.lastUse = .now
            return true
        }
    }

    /// Runs `fetch` for the job's site unless a fetch of it is under way (then waits for that one), then keeps the entry
    /// and drops what is over the bound (`drop` removes a site from disk).
    func fetch(
        _ folder: JobKey, generation: Double, drop: @escaping @Sendable (JobKey) -> Void, _ fetch: @escaping @Sendable () async throws -> Int64
    ) async throws {
        let task = self.state.withLock { state in
            if let running = state.fetching[folder] { return running }
            let task = Task {
                defer { _ = self.state.withLock { $0.fetching.removeValue(forKey: folder) } }
                let bytes = try await fetch()
                self.keep(folder, generation: generation, bytes: bytes, drop: drop)
            }
            state.fetching[folder] = task
            return task
        }
        try await task.value
    }

    /// Records that the node holds generation `generation` of the job's site (fetched, or made here), then drops what is
    /// over the bound.
    func keep(_ folder: JobKey, generation: Double, bytes: Int64, drop: @Sendable (JobKey) -> Void) {
        let dropped = self.state.withLock { state in
            state.bytes += bytes - (state.entries[folder]?.bytes ?? 0)
            state.entries[folder] = Entry(generation: generation, bytes: bytes, lastUse: .now)
            var dropped: [JobKey] = []
            guard state.bytes > self.limitBytes else { return dropped }
            let idle = ContinuousClock.now - .seconds(self.idleSeconds)
            for (candidate, entry) in state.entries.sorted(by: { $0.value.lastUse < $1.value.lastUse }) {
                guard state.bytes > self.limitBytes, entry.lastUse < idle else { break }
                state.entries.removeValue(forKey: candidate)
                state.bytes -= entry.bytes
                dropped.append(candidate)
            }
            return dropped
        }
        for folder in dropped { drop(folder) }
    }

    /// Forgets the sites of the jobs `removed` picks (they were removed).
    public func forget(_ removed: (JobKey) -> Bool) {
        self.state.withLock { state in
            for (folder, entry) in state.entries where removed(folder) {
                state.entries.removeValue(forKey: folder)
                state.bytes -= entry.bytes
            }
        }
    }
}
