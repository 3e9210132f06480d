import AmplifyCore
import Synchronization

/// The answers of `SQLiteStore.site(appId:displayName:)`, dropped at every write, so a request never sees
/// a site older than the last acknowledged change. A lookup that raced a write is not kept: it carries the
/// generation it started in, and only an unchanged generation may store its answer.
final class SiteLookupCache: Sendable {
    typealias Site = (app: App, branch: Branch)?

    private struct State {
        var generation = 0
        var entries: [String: Site] = [:]
    }

    private let state = Mutex(State())
    private static let capacity = 4096

    /// The cached answer for `key`, or the generation to store a fresh one under.
    func lookup(_ key: String) -> (hit: Site?, generation: Int) {
        self.state.withLock { state in
            (state.entries[key], state.generation)
        }
    }

    /// Changes at every write (`Store.writeGeneration`).
    var generation: Int {
        self.state.withLock { $0.generation }
    }

    func store(_ site: Site, for key: String, generation: Int) {
        self.state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= Self.capacity { state.entries.removeAll() }
            state.entries[key] = site
        }
    }

    func invalidate() {
        self.state.withLock { state in
            state.generation += 1
            state.entries.removeAll()
        }
    }
}
