import AmplifyCore
import Foundation
import Synchronization

/// The build controls waiting for builds, oldest first, and the jobs held until released.
public final class BuildControls: Sendable {
    private struct State {
        var controls: [BuildControl] = []
        var held: Set<JobKey> = []
        var released: Set<JobKey> = []
    }

    private let state = Mutex(State())

    public init() {}

    public func add(_ control: BuildControl) {
        self.state.withLock { $0.controls.append(control) }
    }

    /// The action the oldest control that applies to the job asks for (using up one of its builds), if any.
    func take(for key: JobKey) -> BuildControl.Action? {
        self.state.withLock { state in
            guard let index = state.controls.firstIndex(where: { $0.applies(to: key) }) else { return nil }
            state.controls[index].remaining -= 1
            let action = state.controls[index].action
            if state.controls[index].remaining == 0 { state.controls.remove(at: index) }
            return action
        }
    }

    /// Lets a held job go on; false when the job is not held.
    public func release(_ key: JobKey) -> Bool {
        self.state.withLock { state in
            guard state.held.contains(key) else { return false }
            state.released.insert(key)
            return true
        }
    }

    /// Holds the job until `release`, or until `isStopped` says it was stopped (then throws `Interruption.stopped`).
    func hold(_ key: JobKey, isStopped: @Sendable () async -> Bool) async throws {
        self.state.withLock { _ = $0.held.insert(key) }
        defer {
            self.state.withLock { state in
                state.held.remove(key)
                state.released.remove(key)
            }
        }
        while !self.state.withLock({ $0.released.contains(key) }) {
            if await isStopped() { throw JobProgress.Interruption.stopped }
            try await Task.sleep(for: .milliseconds(25))
        }
    }

    /// Forgets the controls of one account and region's apps (a tenant's reset); other tenants keep theirs.
    public func removeAll(in scope: Scope) {
        self.state.withLock { state in
            state.controls.removeAll { $0.scope == scope }
            state.released.formUnion(state.held.filter { $0.scope == scope })
        }
    }

    /// Forgets every control (a reset); held jobs are let go.
    public func removeAll() {
        self.state.withLock { state in
            state.controls.removeAll()
            state.released.formUnion(state.held)
        }
    }
}
