import AmplifyCore

/// How this machine lets commands be held, found out once: the bubblewrap sandbox (nil for none, and why), the
/// containment a build's commands get where there is no sandbox (a PID namespace where one can be made), and podman for
/// builds in a container image (nil where it cannot run containers, and why).
public struct Isolation: Sendable, Equatable {
    public var sandbox: Sandbox?
    public var sandboxReason: String
    public var containment: ProcessContainment
    public var containers: ContainerRuntime?
    public var containersReason: String
    /// Where builds run, as the server was told (`--build-runtime`).
    public var buildRuntime: BuildRuntime
    /// Whether builds reach the network (`--build-network all`) or have none of their own (`none`).
    public var network: Bool

    public init(
        sandbox: Sandbox?, sandboxReason: String, containment: ProcessContainment, containers: ContainerRuntime? = nil,
        containersReason: String = "not probed", buildRuntime: BuildRuntime = .host, network: Bool = true
    ) {
        self.sandbox = sandbox
        self.sandboxReason = sandboxReason
        self.containment = containment
        self.containers = containers
        self.containersReason = containersReason
        self.buildRuntime = buildRuntime
        self.network = network
    }

    /// What a server whose builds are simulated uses: nothing probed.
    public static let unprobed = Isolation(
        sandbox: nil, sandboxReason: "builds are simulated: nothing probed", containment: .processGroup, containersReason: "builds are simulated"
    )
}
