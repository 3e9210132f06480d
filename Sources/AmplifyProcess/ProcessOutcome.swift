/// How a process that was run to its end ended.
public enum ProcessOutcome: Equatable, Sendable {
    case exited(Int32)
    case signaled(Int32)
    /// Ended by amplify-local for the reason given.
    case stopped(String)

    public var succeeded: Bool { self == .exited(0) }
}
