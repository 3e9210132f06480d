import AmplifyCore
import Foundation
import Subprocess

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a build's shell is held: by its process group only, or also in a PID namespace of its own
/// (Linux `unshare`), whose processes all end when the shell does, or in a bubblewrap sandbox (which has its own
/// PID namespace too) with `writable` folders and `hidden` ones.
public enum ProcessContainment: Sendable, Equatable {
    case processGroup
    case pidNamespace(asUser: Bool)
    case sandbox(Sandbox, writable: [String], readOnly: [String] = [], hidden: [String], workingDirectory: String)

    /// A PID namespace when this machine allows one (as root, or through an unprivileged user namespace).
    static func probe() async -> ProcessContainment {
        for candidate in [ProcessContainment.pidNamespace(asUser: getuid() != 0), .pidNamespace(asUser: true)] {
            let (executable, arguments) = candidate.wrap(["true"], runAs: nil, processLimit: nil)
            let result = try? await Subprocess.run(.name(executable), arguments: Arguments(arguments), output: .discarded, error: .discarded)
            if result?.terminationStatus.isSuccess == true { return candidate }
        }
        return .processGroup
    }

    /// The command line that runs `executable` held this way, as `runAs` when given (through setpriv,
    /// with no way back to privileges: `--no-new-privs` also stops setuid programs such as sudo), with
    /// `RLIMIT_NPROC` at `processLimit` where the kernel counts only its processes (`countsOwnProcesses`): set inside
    /// the namespaces, before the change of user, so that it counts the build's user or user namespace alone.
    public func wrap(_ command: [String], runAs user: ProcessUser?, processLimit: ProcessLimit?) -> (String, [String]) {
        var command = command
        if let user { command = user.wrap(command) }
        if let processLimit { command = processLimit.rlimitWords(ownCount: self.countsOwnProcesses(runAs: user)) + command }
        switch self {
        case .processGroup:
            return (command[0], Array(command.dropFirst()))
        case .pidNamespace(let asUser):
            let user = asUser ? ["--user", "--map-root-user"] : []
            return ("unshare", user + ["--pid", "--fork", "--kill-child", "--mount-proc", "--"] + command)
        case .sandbox(let sandbox, let writable, let readOnly, let hidden, let workingDirectory):
            return sandbox.wrap(command, writable: writable, readOnly: readOnly, hidden: hidden, workingDirectory: workingDirectory)
        }
    }

    /// Whether `RLIMIT_NPROC` counts only this command's processes: it runs as a user of its own, or in a user
    /// namespace of its own (the kernel counts each namespace's processes apart since Linux 5.14).
    public func countsOwnProcesses(runAs user: ProcessUser?) -> Bool {
        if user != nil { return true }
        switch self {
        case .processGroup, .pidNamespace(asUser: false): return false
        case .pidNamespace(asUser: true): return true
        case .sandbox(let sandbox, _, _, _, _): return sandbox.inUserNamespace
        }
    }

    public var isSandbox: Bool {
        if case .sandbox = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .processGroup: "process group"
        case .pidNamespace(let asUser): asUser ? "PID namespace (user namespace)" : "PID namespace"
        case .sandbox: "bubblewrap sandbox"
        }
    }
}
