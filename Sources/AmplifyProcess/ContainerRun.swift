/// One container, as `podman run` starts it: its image, name and labels, the folders it mounts, the host user its root
/// is (a user namespace), its limits (memory with no swap beyond it, CPUs, processes), its network, its command. Not
/// removed when it ends (`--rm` would take with it what its end says): `ContainerRuntime.removeContainer` does that.
/// Its output is not logged by podman (`--log-driver none`): the caller reads it, stdout and stderr apart. podman is
/// told not to pull (`--pull never`): the caller pulls first, to say so in the build's log.
public struct ContainerRun: Sendable, Equatable {
    public struct Mount: Sendable, Equatable {
        public var host: String
        public var container: String
        public var readOnly: Bool

        public init(host: String, container: String, readOnly: Bool = false) {
            self.host = host
            self.container = container
            self.readOnly = readOnly
        }
    }

    public var image: String
    public var name: String
    public var labels: [String: String] = [:]
    public var mounts: [Mount] = []
    public var workingDirectory: String = "/"
    /// The host user (and group) the container's root is, and the 65,536 ids after it; nil for podman's default (the
    /// server's own root, or a rootless server's user).
    public var rootAs: ProcessUser? = nil
    public var memoryBytes: Int64? = nil
    /// How many CPUs' time it gets, and (fewer than the machine's) which ones, so that `nproc` says how many.
    public var cpus: Int? = nil
    public var machineCPUs: Int = 1
    /// How many processes and threads it may have (`--pids-limit`, and `RLIMIT_NPROC` for its processes).
    public var processLimit = ProcessLimit.defaultMaximum
    /// Whether it reaches the network (the host's: `--network host`), or has none.
    public var network = true
    public var command: [String] = []

    /// How many ids the user namespace maps.
    public static let mappedIds: UInt32 = 65_536

    public init(image: String, name: String) {
        self.image = image
        self.name = name
    }

    /// `podman run`'s arguments for it.
    public func arguments(runtime: ContainerRuntime) -> [String] {
        var arguments = ["run", "--name", self.name, "--pull", "never", "--log-driver", "none", "--network", self.network ? "host" : "none"]
        for (key, value) in self.labels.sorted(by: { $0.key < $1.key }) { arguments += ["--label", "\(key)=\(value)"] }
        if let user = self.rootAs {
            arguments += ["--uidmap", "0:\(user.uid):\(Self.mappedIds)", "--gidmap", "0:\(user.gid):\(Self.mappedIds)"]
        }
        if let memory = self.memoryBytes { arguments += ["--memory", "\(memory)", "--memory-swap", "\(memory)"] }
        if let cpus = self.cpus {
            arguments += ["--cpus", "\(cpus)"]
            if cpus < self.machineCPUs { arguments += ["--cpuset-cpus", "0-\(cpus - 1)"] }
        }
        arguments += ["--pids-limit", "\(self.processLimit)"] + runtime.ulimits(processes: self.processLimit)
        for mount in self.mounts { arguments += ["--volume", "\(mount.host):\(mount.container)\(mount.readOnly ? ":ro" : "")"] }
        arguments += ["--workdir", self.workingDirectory, self.image]
        return arguments + self.command
    }
}
