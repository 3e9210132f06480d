import Synchronization

/// A value decided once, a while after it is first needed (a probe of what the machine allows, run in the background
/// so that the server's start does not wait for it): `value` waits until it is decided, then answers at once.
public final class Eventual<Value: Sendable>: Sendable {
    private let state: Mutex<(value: Value?, waiters: [CheckedContinuation<Value, Never>])>

    /// Undecided; `decide` settles it.
    public init() {
        self.state = Mutex((nil, []))
    }

    /// Decided already.
    public init(_ value: Value) {
        self.state = Mutex((value, []))
    }

    /// Settles the value (the first decision holds) and wakes who waits for it.
    public func decide(_ value: Value) {
        let waiters = self.state.withLock { state -> [CheckedContinuation<Value, Never>] in
            guard state.value == nil else { return [] }
            state.value = value
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    /// The value, once decided.
    public var value: Value {
        get async {
            if let value = self.state.withLock({ $0.value }) { return value }
            return await withCheckedContinuation { continuation in
                let decided = self.state.withLock { state -> Value? in
                    if state.value == nil { state.waiters.append(continuation) }
                    return state.value
                }
                if let decided { continuation.resume(returning: decided) }
            }
        }
    }

    /// The value if it is decided, without waiting.
    public var decided: Value? { self.state.withLock { $0.value } }
}
