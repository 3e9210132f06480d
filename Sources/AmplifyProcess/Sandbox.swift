import AmplifyCore
import Foundation
import Subprocess

#if canImport(Glibc)
import Glibc
#endif

/// Commands (a build's, a compute's) in a bubblewrap sandbox (Debian's `bubblewrap`, `bwrap`): the system read-only, a private
/// `/tmp` and PID namespace, the build's workspace and its app's cache folder the only writable places, and the
/// data directory and every other build's workspace and cache out of sight (empty folders over them). The network is
/// the machine's unless `network` is off.
public struct Sandbox: Sendable, Equatable {
    /// `--build-sandbox`: `auto` uses bubblewrap where it works, `bubblewrap` requires it, `none` never uses it.
    public enum Mode: String, Sendable, CaseIterable {
        case auto, bubblewrap, none
    }

    /// Whether bwrap makes a user namespace of its own (a server that is not root), or runs as root.
    var inUserNamespace: Bool
    /// Whether builds reach the network (`--build-network all`) or have none of their own (`none`).
    public var network: Bool

    /// Whether what runs inside has a user namespace of its own, where the kernel counts its processes apart
    /// (`RLIMIT_NPROC` set inside holds it alone).
    public var hasOwnUserNamespace: Bool { self.inUserNamespace }

    /// The sandbox this machine gives for `mode`, and why (said once in the server's log); nil for none. A
    /// sandbox asked for (`bubblewrap`) that cannot be made is an error naming why.
    public static func resolve(_ mode: Mode, network: Bool) async throws -> (sandbox: Sandbox?, reason: String) {
        let resolved = try await self.resolve(mode, network: network, required: mode == .bubblewrap)
        if resolved.sandbox == nil && !network {
            throw Unavailable(reason: "--build-network none needs the bubblewrap sandbox, and builds run without one: \(resolved.reason)")
        }
        return resolved
    }

    private static func resolve(_ mode: Mode, network: Bool, required: Bool) async throws -> (sandbox: Sandbox?, reason: String) {
        if mode == .none { return (nil, "--build-sandbox none") }
        guard SearchPath.find("bwrap") != nil else {
            let reason = "bwrap (bubblewrap) is not installed (Debian: apt-get install bubblewrap)"
            if mode == .bubblewrap { throw Unavailable(reason: reason) }
            return (nil, reason)
        }
        for inUserNamespace in getuid() == 0 ? [false, true] : [true] {
            let candidate = Sandbox(inUserNamespace: inUserNamespace, network: network)
            let (executable, arguments) = candidate.wrap(["true"], writable: [], hidden: [], workingDirectory: "/")
            // Three tries: a mount that comes or goes while bwrap copies the mount table (another program's) fails
            // one, and a server run as root would otherwise be left with the user namespace's sandbox, where a
            // build's own user cannot be taken on.
            for _ in 0..<3 {
                let result = try? await Subprocess.run(.name(executable), arguments: Arguments(arguments), output: .discarded, error: .discarded)
                if result?.terminationStatus.isSuccess == true {
                    return (candidate, inUserNamespace ? "bubblewrap, in a user namespace" : "bubblewrap")
                }
            }
        }
        let reason = "bwrap is installed but cannot make a sandbox here (no user namespaces for this user?)"
        if mode == .bubblewrap { throw Unavailable(reason: reason) }
        return (nil, reason)
    }

    public struct Unavailable: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { "--build-sandbox: \(self.reason)." }
    }

    /// The command line that runs `command` in the sandbox: `readOnly` folders bound read-only, `writable` ones bound
    /// as they are (after them, so one inside a read-only folder is writable), `hidden` ones replaced by empty ones (before the others, so a workspace inside a hidden folder
    /// shows through).
    public func wrap(
        _ command: [String], writable: [String], readOnly: [String] = [], hidden: [String], workingDirectory: String
    ) -> (String, [String]) {
        var arguments = ["--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
        if self.inUserNamespace { arguments.append("--unshare-user") }
        if !self.network { arguments.append("--unshare-net") }
        arguments += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--perms", "1777", "--tmpfs", "/tmp"]
        let hidden = hidden.filter { $0 != "/" && FileManager.default.fileExists(atPath: $0) }
        for folder in hidden {
            arguments += ["--tmpfs", folder]
        }
        // The folders between a hidden one and a writable one inside it, made traversable (bwrap would make them 0700).
        var between = Set<String>()
        for folder in writable + readOnly {
            for top in hidden where folder.hasPrefix(top + "/") {
                var path = top
                for part in folder.dropFirst(top.count + 1).split(separator: "/").dropLast() {
                    path += "/" + part
                    between.insert(path)
                }
            }
        }
        for folder in between.sorted(by: { $0.count < $1.count }) {
            arguments += ["--perms", "0755", "--dir", folder]
        }
        // Read-only first: a writable folder inside a read-only one (a compute's cache in its deployment) stays writable.
        for folder in readOnly {
            arguments += ["--ro-bind", folder, folder]
        }
        for folder in writable {
            arguments += ["--bind", folder, folder]
        }
        arguments += ["--chdir", workingDirectory, "--"]
        return ("bwrap", arguments + command)
    }
}
