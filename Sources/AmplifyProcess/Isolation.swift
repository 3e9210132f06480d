import AmplifyCore

/// How this machine lets commands be held, found out once: the bubblewrap sandbox (nil for none, and why), the
/// containment a build's commands get where there is no sandbox (a PID namespace where one can be made), and where
/// builds run (`--build-runtime`; podman itself is found out when a build first wants a container:
/// `ProcessLauncher.containers`).
public struct Isolation: Sendable, Equatable {
    public var sandbox: Sandbox?
    public var sandboxReason: String
    public var containment: ProcessContainment
    /// Where builds run, as the server was told (`--build-runtime`).
    public var buildRuntime: BuildRuntime
    /// Whether builds reach the network (`--build-network all`) or have none of their own (`none`).
    public var network: Bool

    public init(
        sandbox: Sandbox?, sandboxReason: String, containment: ProcessContainment, buildRuntime: BuildRuntime = .host,
        network: Bool = true
    ) {
        self.sandbox = sandbox
        self.sandboxReason = sandboxReason
        self.containment = containment
        self.buildRuntime = buildRuntime
        self.network = network
    }

    /// What a server whose builds are simulated uses: nothing probed.
    public static let unprobed = Isolation(
        sandbox: nil, sandboxReason: "builds are simulated: nothing probed", containment: .processGroup
    )
}
