import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The machine's processes as Linux's `/proc` shows them: who is below whom (a compute's `node` runs under the
/// sandbox's own processes, which end when it does, so it is the one to ask to stop), whose environment carries a
/// marker (what a build left behind), and what a process's network namespace listens on.
public enum ProcessTable {
    /// Every descendant of `pid`, parents before their children.
    public static func descendants(of pid: pid_t) -> [pid_t] {
        var children: [pid_t: [pid_t]] = [:]
        for child in self.processes() {
            guard let parent = self.parent(of: child) else { continue }
            children[parent, default: []].append(child)
        }
        var found: [pid_t] = []
        var queue = children[pid] ?? []
        while !queue.isEmpty {
            let next = queue.removeFirst()
            found.append(next)
            queue += children[next] ?? []
        }
        return found
    }

    /// Kills every process whose environment carries `marker` (or, with `prefix`, any marker that starts with it):
    /// what a build left behind after it ended, or what the builds of a crashed server left. Read again until none
    /// is found (a process may fork while the others are killed); how many were killed.
    @discardableResult
    public static func killMarked(_ marker: String, prefix: Bool = false) -> Int {
        let needle = Array("\(ProcessCommand.markerVariable)=\(marker)".utf8)
        var killed = 0
        let me = getpid()
        for _ in 0..<20 {
            var found = 0
            for pid in self.processes() where pid != me {
                guard let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
                let hit = environ.split(separator: 0, omittingEmptySubsequences: true).contains {
                    prefix ? $0.starts(with: needle) : $0.elementsEqual(needle)
                }
                if hit, kill(pid, SIGKILL) == 0 { found += 1 }
            }
            killed += found
            if found == 0 { break }
            usleep(10_000)
        }
        return killed
    }

    /// How a process's network namespace listens on a port.
    public enum Listener: Sendable {
        /// On all addresses (or the namespace's own): reachable from the server.
        case reachable
        /// On its loopback only.
        case loopbackOnly
        case none
    }

    /// How the process's network namespace listens on `port`, from `/proc/<pid>/net/tcp` and `tcp6`.
    public static func listener(_ pid: pid_t, port: Int) -> Listener {
        let hexPort = String(format: ":%04X", port)
        var found = Listener.none
        for table in ["tcp", "tcp6"] {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/net/\(table)", encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                // local address, remote address, state (0A: listening)
                guard fields.count > 3, fields[3] == "0A", fields[1].hasSuffix(hexPort) else { continue }
                let address = fields[1].dropLast(hexPort.count)
                if address == "0100007F" || address == "00000000000000000000000001000000" {
                    found = .loopbackOnly
                } else {
                    return .reachable
                }
            }
        }
        return found
    }

    /// The network namespace a process is in (`net:[inode]`), nil when it is gone.
    public static func networkNamespace(of pid: pid_t) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net")
    }

    /// The pids `/proc` lists.
    private static func processes() -> [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }
    }

    /// The parent's pid, from `/proc/<pid>/stat` (the field after the command's name, which ends at the last `)`).
    private static func parent(of pid: pid_t) -> pid_t? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let end = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        return fields.count > 1 ? pid_t(fields[1]) : nil
    }
}
