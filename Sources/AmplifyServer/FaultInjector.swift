import AmplifyCore
import AmplifyWire
import Foundation
import Synchronization

/// The fault rules in force, in the order they were added, with how often each fired. Each rule rolls its own
/// random numbers, from its `seed` when it has one, so a run of the same requests fires the same way again.
final class FaultInjector: Sendable {
    /// What the rules decided for one request: wait, then fail (or go on).
    struct Decision {
        var latencyMilliseconds: Double = 0
        var error: AmplifyError?
    }

    private struct Entry {
        var rule: FaultRule
        var fired = 0
        var generator: SplitMix64
    }

    private struct State {
        var entries: [Entry] = []
        /// Whether any rule is in force: requests check this before they take the lock.
        var isEmpty: Bool { self.entries.isEmpty }
    }

    private let state = Mutex(State())
    private let empty = Atomic(true)

    /// Adds a rule; returns it as listed.
    @discardableResult
    func add(_ rule: FaultRule) -> [String: Any] {
        var generator = SystemRandomNumberGenerator()
        let seed = rule.seed ?? generator.next()
        return self.state.withLock { state in
            state.entries.append(Entry(rule: rule, generator: SplitMix64(seed: seed)))
            self.empty.store(false, ordering: .relaxed)
            return rule.json(fired: 0)
        }
    }

    func list() -> [[String: Any]] {
        self.state.withLock { state in
            state.entries.map { $0.rule.json(fired: $0.fired) }
        }
    }

    /// Removes the rule; returns whether there was one.
    func remove(id: String) -> Bool {
        self.state.withLock { state in
            let before = state.entries.count
            state.entries.removeAll { $0.rule.id == id }
            self.empty.store(state.isEmpty, ordering: .relaxed)
            return state.entries.count != before
        }
    }

    func removeAll() {
        self.state.withLock { state in
            state.entries.removeAll()
            self.empty.store(true, ordering: .relaxed)
        }
    }

    /// What the rules do to a request for `operation`: each matching rule that is not spent or expired rolls its
    /// probability; a latency rule that fires adds its latency, and the first error rule that fires is the answer.
    func decide(_ operation: WireOperation, labels: [String: String], scope: Scope, now: Date) -> Decision? {
        guard !self.empty.load(ordering: .relaxed) else { return nil }
        let appId = labels["appId"]
        let branchName = labels["branchName"]
        return self.state.withLock { state in
            var decision = Decision()
            var fired = false
            for index in state.entries.indices {
                let rule = state.entries[index].rule
                if let expiry = rule.expiresAt, now >= expiry { continue }
                if let count = rule.count, state.entries[index].fired >= count { continue }
                guard rule.matches(operation, appId: appId, branchName: branchName, scope: scope) else { continue }
                guard rule.probability >= 1 || Double.random(in: 0..<1, using: &state.entries[index].generator) < rule.probability else { continue }
                state.entries[index].fired += 1
                fired = true
                if let latency = rule.latency {
                    decision.latencyMilliseconds += Double.random(in: latency, using: &state.entries[index].generator)
                }
                if let error = rule.failure {
                    decision.error = error
                    break
                }
            }
            return fired ? decision : nil
        }
    }
}
