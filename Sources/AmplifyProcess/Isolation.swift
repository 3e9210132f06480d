/// How this machine lets commands be held, found out once: the bubblewrap sandbox (nil for none, and why), and the
/// containment a build's commands get where there is no sandbox (a PID namespace where one can be made).
public struct Isolation: Sendable, Equatable {
    public var sandbox: Sandbox?
    public var sandboxReason: String
    public var containment: ProcessContainment

    public init(sandbox: Sandbox?, sandboxReason: String, containment: ProcessContainment) {
        self.sandbox = sandbox
        self.sandboxReason = sandboxReason
        self.containment = containment
    }

    /// What a server whose builds are simulated uses: nothing probed.
    public static let unprobed = Isolation(sandbox: nil, sandboxReason: "builds are simulated: nothing probed", containment: .processGroup)
}
