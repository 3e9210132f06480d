import AmplifyCore
import AmplifyProcess
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where one build's steps run when it runs in a container of its build image (`--build-runtime`, `_CUSTOM_IMAGE`):
/// the workspace is mounted read-write at Amplify's path, `/codebuild/output/src<digits>`, with the repository in its
/// `src/<repository name>` as users' logs show it; the app's cache folder and `--node-versions` beside it; no data
/// directory and no other workspace. The container's root is the build's own user of the host (a user namespace), its
/// size the compute type's (podman's `--memory`, `--cpus`, `--pids-limit`), its network the host's or none.
///
/// The build's variables and secrets reach it through a file in the workspace (0600, the build's own) that the
/// container's first process reads and deletes, never podman's command line or its record of the container. That
/// first process passes SIGTERM on to every process of the container (a StopJob, the timeout), and writes down
/// what the container's control groups counted (kills for memory, forks refused) before it ends.
struct BuildContainer: Sendable {
    let runtime: ContainerRuntime
    let image: String
    /// Where the image was named (`_CUSTOM_IMAGE`, `--build-image`), for the log.
    let source: String
    /// The run's workspace on the host, and where the container sees it.
    let workspace: URL
    let mountPoint: String
    /// The repository's name (its URL's last part, without `.git`).
    let repositoryName: String
    let cacheFolder: URL
    let nodeVersions: String?
    let name: String
    let owner: String

    /// Where `--node-versions` is mounted (read-only), and the app's cache folder.
    static let nodeVersionsPath = "/opt/amplify-local/node-versions"
    static let cachePath = "/codebuild/output/amplify-local-cache"

    init(
        runtime: ContainerRuntime, image: String, source: String, workspace: URL, run: String, repository: String, cacheFolder: URL,
        nodeVersions: String?, owner: String
    ) {
        (self.runtime, self.image, self.source, self.workspace) = (runtime, image, source, workspace)
        self.mountPoint = "/codebuild/output/src\(StableHash.of(run) % 1_000_000_000)"
        self.repositoryName = Self.repositoryName(repository)
        (self.cacheFolder, self.nodeVersions, self.owner) = (cacheFolder, nodeVersions, owner)
        self.name = "amplify-local-\(run)"
    }

    /// `https://github.com/org/my-app.git` → `my-app`; anything not a plain name → `repository`.
    static func repositoryName(_ repository: String) -> String {
        var name = repository.split(separator: "/").last.map(String.init) ?? ""
        if name.hasSuffix(".git") { name.removeLast(4) }
        let plain = !name.isEmpty && name != "." && name != ".." && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
        return plain ? name : "repository"
    }

    /// Where the repository is cloned on the host: inside the workspace, at the path the container shows.
    var repositoryFolder: URL {
        self.workspace.appending(path: "src/\(self.repositoryName)", directoryHint: .isDirectory)
    }

    /// Where the container sees `url` (a file of the workspace, or the cache).
    func path(of url: URL) -> String {
        let path = url.standardizedFileURL.path
        for (host, inside) in [(self.workspace.standardizedFileURL.path, self.mountPoint), (self.cacheFolder.standardizedFileURL.path, Self.cachePath)] {
            if path == host { return inside }
            if path.hasPrefix(host + "/") { return inside + path.dropFirst(host.count) }
        }
        return path
    }

    /// What the build's log says of it.
    var description: String {
        "# Build image: \(self.image) (\(self.source)), in a podman container (\(self.runtime.version), storage driver \(self.runtime.storageDriver)); the repository is at \(self.path(of: self.repositoryFolder))."
    }

    /// The image, from podman's store or pulled into it (its output in the log); a build whose image is neither fails
    /// naming it.
    func prepare(runner: LoggedProcessRunner) async throws {
        guard await !self.runtime.hasImage(self.image, launcher: runner.launcher) else { return }
        runner.log.info("# The build image \(self.image) is not on this machine: pulling it (podman pull).")
        let pulled = try await runner.run(self.runtime.command(["pull", self.image], marker: runner.marker))
        guard pulled == .exited(0) else {
            throw JobProgress.Interruption.failed(
                "The build image \(self.image) (\(self.source)) is not on this machine and could not be pulled (podman pull: \(pulled)): pull or load it into podman, or name another."
            )
        }
    }

    /// The first process: reads the variables (then deletes their file), runs the step's script with SIGTERM passed on
    /// to the whole container, and writes what the control groups counted to the report file. Its groups are found
    /// through `/proc/self/cgroup`: in a user namespace on the host's network podman mounts the host's `/sys`, whose
    /// `/sys/fs/cgroup/memory` is the root group, not the container's.
    static let entrypoint = #"""
        . "$1" && rm -f -- "$1"
        trap 'kill -TERM -1 2>/dev/null' TERM INT
        bash --noprofile --norc "$2" & __amplify_local_child=$!
        while :; do
          wait "$__amplify_local_child"; __amplify_local_status=$?
          kill -0 "$__amplify_local_child" 2>/dev/null || break
        done
        __amplify_local_count() {
          local file key value
          for file in $2; do
            [ -r "$file" ] || continue
            while read -r key value; do [ "$key" = "$1" ] && { printf '%s %s\n' "$3" "$value"; return; }; done < "$file"
          done
        }
        __amplify_local_group() {
          local id controllers path
          while IFS=: read -r id controllers path; do
            case ",$controllers," in *",$1,"*) printf '%s' "/sys/fs/cgroup/$1$path"; return;; esac
          done < /proc/self/cgroup
          while IFS=: read -r id controllers path; do
            [ "$id" = 0 ] && [ -z "$controllers" ] && { printf '%s' "/sys/fs/cgroup$path"; return; }
          done < /proc/self/cgroup
        }
        {
          __amplify_local_count oom_kill "$(__amplify_local_group memory)/memory.oom_control $(__amplify_local_group memory)/memory.events" memory
          __amplify_local_count max "$(__amplify_local_group pids)/pids.events" processes
        } > "$3" 2>/dev/null
        exit "$__amplify_local_status"
        """#

    /// What the control groups counted, as the first process wrote it (its file is the build's: it says only why this
    /// build failed).
    struct Report {
        var killedForMemory: Bool
        var reachedProcessLimit: Bool
    }

    /// The podman command that runs `script` in a container of `step`'s: the variables written to the workspace first.
    func command(
        step: String, script: URL, environment: [String: String], workingDirectory: URL, sizing: RealBuild.Sizing, runAs: ProcessUser?,
        network: Bool, marker: String, log: BuildLog
    ) throws -> (command: ProcessCommand, report: URL) {
        let variables = self.workspace.appending(path: "\(step).environment", directoryHint: .notDirectory)
        let report = self.workspace.appending(path: "\(step).report", directoryHint: .notDirectory)
        try? FileManager.default.removeItem(at: report)
        var lines: [String] = []
        var skipped: [String] = []
        for (key, value) in environment.sorted(by: { $0.key < $1.key }) {
            guard Self.isShellName(key) else {
                skipped.append(key)
                continue
            }
            lines.append("export \(key)=\(BuildScript.quote(value))")
        }
        if !skipped.isEmpty {
            log.line("Environment variables that are not shell names do not reach the container: \(skipped.joined(separator: ", ")).", level: .warning)
        }
        guard FileManager.default.createFile(atPath: variables.path, contents: Data((lines.joined(separator: "\n") + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw JobProgress.Interruption.failed("The build's variables could not be written for its container.")
        }
        if let runAs { runAs.own(variables) }
        var run = ContainerRun(image: self.image, name: "\(self.name)-\(step)")
        run.labels = [ContainerRuntime.ownerLabel: self.owner]
        run.mounts = [.init(host: self.workspace.path, container: self.mountPoint), .init(host: self.cacheFolder.path, container: Self.cachePath)]
        if let nodeVersions = self.nodeVersions { run.mounts.append(.init(host: nodeVersions, container: Self.nodeVersionsPath, readOnly: true)) }
        run.workingDirectory = self.path(of: workingDirectory)
        run.rootAs = runAs
        (run.memoryBytes, run.cpus, run.machineCPUs) = (sizing.resources.memoryBytes, sizing.resources.cpus, sizing.machineCPUs)
        run.processLimit = sizing.processLimit.maximum
        run.network = network
        run.command = ["bash", "--noprofile", "--norc", "-c", Self.entrypoint, "amplify-local", self.path(of: variables), self.path(of: script), self.path(of: report)]
        return (self.runtime.command(run.arguments(runtime: self.runtime), marker: marker), report)
    }

    /// What the report file says (nothing counted when there is none).
    static func report(_ file: URL) -> Report {
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        var counts: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count == 2, let count = Int(words[1]) { counts[String(words[0])] = count }
        }
        return Report(killedForMemory: (counts["memory"] ?? 0) > 0, reachedProcessLimit: (counts["processes"] ?? 0) > 0)
    }

    static func isShellName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && CharacterSet.letters.contains(first)) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && CharacterSet.alphanumerics.contains($0)) }
    }

    /// Removes the build's containers (its steps'), whatever state they are in; returns why it could not.
    func remove(launcher: any ProcessLauncher) async -> String? {
        await self.runtime.removeContainers(["\(self.name)-build", "\(self.name)-test"], launcher: launcher)
    }
}
