import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A control group of one build's run, under the server's own: memory limited (cgroup v2's `memory.max`, or v1's `memory`
/// controller), CPU time limited to the build's CPUs (`cpu.max`, v1's `cpu.cfs_quota_us`) when it has fewer than the
/// machine, and its processes (and threads) to `--build-max-processes` (`pids.max`, v2 or v1's `pids` controller).
/// The build's first process joins it before it runs anything (`joinCommand`), so everything it starts is
/// inside, and `kill` ends all of it, however its processes left their group or session. Nil where the server may
/// not make one (not root, no controller): rlimits stand in then.
public struct ControlGroup: Sendable {
    /// The folders made, each with its `cgroup.procs`.
    let folders: [String]
    /// Where the kernel counts the group's kills for memory (v1 `memory.oom_control`, v2 `memory.events`).
    let events: String
    /// Where the kernel counts the forks `pids.max` refused (`pids.events`), nil without a pids controller.
    public var processEvents: String? = nil
    /// The cgroup v2 folder, whose `cgroup.kill` ends every process in it at once (Linux 5.14).
    var unified: String? = nil

    /// The server's own groups, one line of `/proc/self/cgroup` each: hierarchy, controllers, path.
    private static func membership() -> [[String]]? {
        guard geteuid() == 0, let text = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").map { $0.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init) }
    }

    private static func name(_ run: String) -> String { "amplify-local-\(run)" }

    /// Removes the groups of builds a crashed run of the server left (their processes killed by then).
    public static func removeLeftovers(runs: [String]) {
        guard let lines = self.membership() else { return }
        var parents: [String] = []
        for line in lines where line.count == 3 {
            let path = line[2] == "/" ? "" : line[2]
            if line[0] == "0" && line[1].isEmpty { parents.append("/sys/fs/cgroup" + path) }
            for controller in line[1].split(separator: ",") where controller == "memory" || controller == "cpu" || controller == "pids" {
                parents.append("/sys/fs/cgroup/\(controller)" + path)
            }
        }
        for parent in parents {
            for run in runs { rmdir(parent + "/" + self.name(run)) }
        }
    }

    /// A group for one run of a build, with `memoryBytes` of memory, `cpus` of the machine's, and `processLimit`
    /// processes; nil where none can be made.
    public static func make(run: String, memoryBytes: Int64, cpus: Int, machineCPUs: Int, processLimit: ProcessLimit? = nil) -> ControlGroup? {
        guard let lines = self.membership() else { return nil }
        let limits = Limits(memoryBytes: memoryBytes, cpus: cpus < machineCPUs ? cpus : nil, processes: processLimit?.maximum)
        if let memory = lines.first(where: { $0.count == 3 && $0[1].split(separator: ",").contains("memory") }),
            FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/memory.limit_in_bytes")
        {
            return self.makeV1(self.name(run), memory: memory, lines: lines, limits: limits)
        }
        if let unified = lines.first(where: { $0.count == 3 && $0[0] == "0" && $0[1].isEmpty }),
            FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers")
        {
            return self.makeV2(self.name(run), unified: unified, limits: limits)
        }
        return nil
    }

    /// What a group is limited to: its memory, its CPUs (nil: all of the machine's), its processes (nil: no limit).
    private struct Limits {
        var memoryBytes: Int64
        var cpus: Int?
        var processes: Int?
    }

    /// cgroup v1, as on machines with a `memory` hierarchy: a folder in each controller's hierarchy.
    private static func makeV1(_ name: String, memory: [String], lines: [[String]], limits: Limits) -> ControlGroup? {
        let folder = "/sys/fs/cgroup/memory" + (memory[2] == "/" ? "" : memory[2]) + "/" + name
        guard mkdir(folder, 0o755) == 0 else { return nil }
        guard Self.set("\(limits.memoryBytes)", to: folder + "/memory.limit_in_bytes") else {
            rmdir(folder)
            return nil
        }
        // No swap beyond the limit, where the kernel accounts it.
        _ = Self.set("\(limits.memoryBytes)", to: folder + "/memory.memsw.limit_in_bytes")
        var folders = [folder]
        if let cpus = limits.cpus,
            let cpuFolder = self.controllerFolder("cpu", name, lines: lines, settings: [("cpu.cfs_period_us", "100000"), ("cpu.cfs_quota_us", "\(cpus * 100_000)")])
        {
            folders.append(cpuFolder)
        }
        var processEvents: String?
        if let processes = limits.processes, FileManager.default.fileExists(atPath: "/sys/fs/cgroup/pids/cgroup.procs"),
            let pidsFolder = self.controllerFolder("pids", name, lines: lines, settings: [("pids.max", "\(processes)")])
        {
            folders.append(pidsFolder)
            processEvents = pidsFolder + "/pids.events"
        }
        return ControlGroup(folders: folders, events: folder + "/memory.oom_control", processEvents: processEvents)
    }

    /// A v1 controller's folder for the group, with its `settings` written (nil, and no folder, when one fails).
    private static func controllerFolder(_ controller: String, _ name: String, lines: [[String]], settings: [(String, String)]) -> String? {
        guard let line = lines.first(where: { $0.count == 3 && $0[1].split(separator: ",").contains(Substring(controller)) }) else { return nil }
        let folder = "/sys/fs/cgroup/\(controller)" + (line[2] == "/" ? "" : line[2]) + "/" + name
        guard mkdir(folder, 0o755) == 0 else { return nil }
        guard settings.allSatisfy({ Self.set($0.1, to: folder + "/" + $0.0) }) else {
            rmdir(folder)
            return nil
        }
        return folder
    }

    /// cgroup v2: a child of the server's group, with the memory controller handed down.
    private static func makeV2(_ name: String, unified: [String], limits: Limits) -> ControlGroup? {
        let parent = "/sys/fs/cgroup" + (unified[2] == "/" ? "" : unified[2])
        _ = Self.set("+memory +cpu", to: parent + "/cgroup.subtree_control")
        // Apart: the kernel refuses a whole line that names a controller it does not hand down.
        if limits.processes != nil { _ = Self.set("+pids", to: parent + "/cgroup.subtree_control") }
        let folder = parent + "/" + name
        guard mkdir(folder, 0o755) == 0 else { return nil }
        guard Self.set("\(limits.memoryBytes)", to: folder + "/memory.max") else {
            rmdir(folder)
            return nil
        }
        _ = Self.set("0", to: folder + "/memory.swap.max")
        if let cpus = limits.cpus { _ = Self.set("\(cpus * 100_000) 100000", to: folder + "/cpu.max") }
        let limited = limits.processes.map { Self.set("\($0)", to: folder + "/pids.max") } ?? false
        return ControlGroup(folders: [folder], events: folder + "/memory.events", processEvents: limited ? folder + "/pids.events" : nil, unified: folder)
    }

    /// Words to put before a command so that its process joins the group, then becomes the command.
    public var joinCommand: [String] {
        let join = #"n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1/cgroup.procs" || exit 125; shift; n=$((n - 1)); done; exec "$@""#
        return ["sh", "-c", join, "sh", String(self.folders.count)] + self.folders
    }

    /// Whether the kernel killed a process of the group for memory.
    public var killedForMemory: Bool {
        guard let text = try? String(contentsOfFile: self.events, encoding: .utf8) else { return false }
        return text.split(separator: "\n").contains { line in
            let parts = line.split(separator: " ")
            return parts.count == 2 && parts[0] == "oom_kill" && (Int(parts[1]) ?? 0) > 0
        }
    }

    /// Whether `pids.max` refused the group a process (a fork or a thread).
    public var reachedProcessLimit: Bool {
        guard let file = self.processEvents, let text = try? String(contentsOfFile: file, encoding: .utf8) else { return false }
        return text.split(separator: "\n").contains { line in
            let parts = line.split(separator: " ")
            return parts.count == 2 && parts[0] == "max" && (Int(parts[1]) ?? 0) > 0
        }
    }

    /// Whether the group holds no process.
    public var isEmpty: Bool {
        self.folders.allSatisfy { folder in
            ((try? String(contentsOfFile: folder + "/cgroup.procs", encoding: .utf8)) ?? "").allSatisfy(\.isWhitespace)
        }
    }

    /// Kills every process of the group: those that left the build's session (`setsid`), ignore SIGTERM, or were
    /// forked while the others were being killed. cgroup v2 does it at once (`cgroup.kill`); v1 is read again until
    /// empty (a fork bomb's forks stop at `pids.max`, so the reading catches up).
    public func kill() {
        if let unified = self.unified, Self.set("1", to: unified + "/cgroup.kill") {
            for _ in 0..<100 where !self.isEmpty { usleep(10_000) }
            return
        }
        for _ in 0..<200 {
            var found = false
            for folder in self.folders {
                let text = (try? String(contentsOfFile: folder + "/cgroup.procs", encoding: .utf8)) ?? ""
                for pid in text.split(separator: "\n").compactMap({ pid_t($0) }) {
                    found = true
                    Glibc.kill(pid, SIGKILL)
                }
            }
            if !found { return }
            usleep(10_000)
        }
    }

    /// Removes the group (once its processes are gone; the kernel refuses before).
    public func remove() {
        for folder in self.folders {
            for _ in 0..<50 {
                if rmdir(folder) == 0 || errno == ENOENT { break }
                usleep(20_000)
            }
        }
    }

    private static func set(_ text: String, to path: String) -> Bool {
        let descriptor = open(path, O_WRONLY)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return Array(text.utf8).withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } == text.utf8.count
    }
}
