import AmplifyCore
import Foundation
import Subprocess
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// podman, as builds run in containers (`--build-runtime podman|auto`): found and tried once — `podman info`, then a
/// container of a root folder that holds only the host's `/usr`, read-only, with no network, which proves the OCI
/// runtime, the cgroup manager and the ulimits work here without needing any image. podman runs with its own
/// configuration: the server's `CONTAINERS_CONF`, `CONTAINERS_STORAGE_CONF` and `XDG_*` variables reach it.
public struct ContainerRuntime: Sendable, Equatable {
    /// The `podman` executable.
    public var executable: String
    /// `podman --version`'s number.
    public var version: String
    /// The store's driver (`overlay`, `vfs`), said in builds' logs: vfs copies the whole image for every container.
    public var storageDriver: String
    /// Whether podman runs rootless (containers' root is then the server's own user).
    public var rootless: Bool
    /// The environment podman runs with: the server's own variables podman reads.
    public var environment: [String: String]

    /// The label every build container carries, whose value is the server's mark (its builds folder): the containers a
    /// crashed server left are found by it.
    public static let ownerLabel = "amplify-local.builds"

    /// The variables of the server's environment podman is given.
    static func podmanEnvironment(_ host: [String: String]) -> [String: String] {
        host.filter { key, _ in
            ["PATH", "HOME", "USER", "TMPDIR", "CONTAINERS_CONF", "CONTAINERS_STORAGE_CONF", "CONTAINERS_REGISTRIES_CONF", "REGISTRY_AUTH_FILE"].contains(key)
                || key.hasPrefix("XDG_")
        }
    }

    /// podman as this machine runs it, or nil and why not. `required` (`--build-runtime podman`) makes that an error.
    public static func resolve(_ mode: BuildRuntime, environment host: [String: String]) async throws -> (runtime: ContainerRuntime?, reason: String) {
        if mode == .host { return (nil, "--build-runtime host") }
        do {
            let runtime = try await self.probe(environment: self.podmanEnvironment(host))
            return (runtime, "podman \(runtime.version), storage driver \(runtime.storageDriver)\(runtime.rootless ? ", rootless" : "")")
        } catch let unavailable as Unavailable {
            if mode == .podman { throw unavailable }
            return (nil, unavailable.reason)
        }
    }

    public struct Unavailable: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { "--build-runtime podman: \(self.reason)." }
    }

    private static func probe(environment: [String: String]) async throws -> ContainerRuntime {
        guard let executable = SearchPath.find("podman", in: environment["PATH"]) else {
            throw Unavailable(reason: "podman is not installed (Debian: apt-get install podman runc)")
        }
        var runtime = ContainerRuntime(executable: executable, version: "", storageDriver: "", rootless: geteuid() != 0, environment: environment)
        let info = try await runtime.probeRun(["info", "--format", "{{.Version.Version}} {{.Store.GraphDriverName}}"])
        guard info.ok else { throw Unavailable(reason: "`podman info` failed: \(Self.lastLine(info.errors))") }
        let words = info.output.split(separator: " ").map(String.init)
        (runtime.version, runtime.storageDriver) = (words.first ?? "?", words.dropFirst().first ?? "?")
        let root = FileManager.default.temporaryDirectory.appending(path: "amplify-local-podman-probe-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try? FileManager.default.createDirectory(atPath: root + "/usr", withIntermediateDirectories: true)
        for link in ["bin", "lib", "lib64", "sbin"] { try? FileManager.default.createSymbolicLink(atPath: "\(root)/\(link)", withDestinationPath: "usr/\(link)") }
        let trial = try await runtime.probeRun(
            ["run", "--rm", "--log-driver", "none", "--network", "none", "--read-only"] + runtime.ulimits(processes: 64)
                + ["-v", "/usr:/usr:ro", "--rootfs", root, "/usr/bin/true"]
        )
        guard trial.ok else { throw Unavailable(reason: "podman cannot run a container here: \(Self.lastLine(trial.errors))") }
        return runtime
    }

    private func probeRun(_ arguments: [String]) async throws -> (ok: Bool, output: String, errors: String) {
        let environment = Environment.custom(Dictionary(uniqueKeysWithValues: self.environment.compactMap { key, value in
            Environment.Key(rawValue: key).map { ($0, value) }
        }))
        let result = try await Subprocess.run(
            .path(.init(self.executable)), arguments: Arguments(arguments), environment: environment, output: .string(limit: 1 << 16),
            error: .string(limit: 1 << 16)
        )
        return (result.terminationStatus.isSuccess, result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines), result.standardError)
    }

    static func lastLine(_ text: String) -> String {
        text.split(separator: "\n").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "no message"
    }

    /// A command that runs podman with `arguments`.
    public func command(_ arguments: [String], marker: String? = nil) -> ProcessCommand {
        ProcessCommand(self.executable, arguments, environment: self.environment, workingDirectory: "/", marker: marker)
    }

    /// `--ulimit` flags: the server's own limit of open files (runc cannot set one above it: "error setting rlimit
    /// type 7"), and `processes` (at most the server's hard limit).
    public func ulimits(processes: Int) -> [String] {
        var files = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &files)
        var tasks = rlimit()
        getrlimit(__rlimit_resource_t(6), &tasks)  // RLIMIT_NPROC, which Glibc's module does not export
        let processes = min(UInt(processes), UInt(tasks.rlim_max))  // RLIM_INFINITY is the largest value
        return ["--ulimit", "nofile=\(files.rlim_cur):\(files.rlim_max)", "--ulimit", "nproc=\(processes):\(processes)"]
    }

    /// Whether `image` is in podman's store.
    public func hasImage(_ image: String, launcher: any ProcessLauncher) async -> Bool {
        (try? await launcher.capture(self.command(["image", "exists", image]), timeout: .seconds(30)))?.outcome == .exited(0)
    }

    /// Removes the containers `names` and what they wrote, killing what still runs in them (none when they are gone);
    /// returns podman's last complaint when it could not. It runs to its end even when the caller's task is cancelled
    /// (a server's shutdown ends its builds that way): their containers would outlive the server otherwise.
    @discardableResult
    public func removeContainers(_ names: [String], launcher: any ProcessLauncher) async -> String? {
        await Task.detached {
            // Again, a while later: right after its end podman can still hold a container's /dev/shm ("device or
            // resource busy").
            var complaint: String?
            for pause in [0, 250, 1000, 3000] {
                try? await Task.sleep(for: .milliseconds(pause))
                let removed = try? await launcher.capture(self.command(["rm", "--force", "--time", "0", "--ignore"] + names), timeout: .seconds(60))
                if removed?.outcome == .exited(0) { return nil }
                complaint = removed.map { Self.lastLine($0.error) } ?? "podman rm could not be run"
            }
            return complaint
        }.value
    }

    /// Removes every container that carries `ownerLabel` with the value `owner` (a crashed server's builds); how many.
    public func removeLeftovers(owner: String, launcher: any ProcessLauncher) async -> Int {
        let listed = try? await launcher.capture(
            self.command(["ps", "--all", "--quiet", "--filter", "label=\(Self.ownerLabel)=\(owner)"]), timeout: .seconds(60)
        )
        let ids = (listed?.output ?? "").split(whereSeparator: \.isNewline).map(String.init)
        guard !ids.isEmpty else { return 0 }
        _ = try? await launcher.capture(self.command(["rm", "--force", "--time", "0", "--ignore"] + ids), timeout: .seconds(120))
        return ids.count
    }
}
