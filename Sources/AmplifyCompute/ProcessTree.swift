import Foundation

/// The processes below a process, read from `/proc` (Linux): a compute's `node` runs under the sandbox's own
/// processes, which end when it does, so it is the one to ask to stop.
enum ProcessTree {
    /// Every descendant of `pid`, parents before their children.
    static func descendants(of pid: pid_t) -> [pid_t] {
        var children: [pid_t: [pid_t]] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let child = pid_t(entry), let parent = self.parent(of: child) else { continue }
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

    /// The parent's pid, from `/proc/<pid>/stat` (the field after the command's name, which ends at the last `)`).
    private static func parent(of pid: pid_t) -> pid_t? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let end = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        return fields.count > 1 ? pid_t(fields[1]) : nil
    }

    /// How a process's network namespace listens on a port.
    enum Listener {
        /// On all addresses (or the namespace's own): reachable from the server.
        case reachable
        /// On its loopback only.
        case loopbackOnly
        case none
    }

    /// How the process's network namespace listens on `port`, from `/proc/<pid>/net/tcp` and `tcp6`.
    static func listener(_ pid: pid_t, port: Int) -> Listener {
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
}
