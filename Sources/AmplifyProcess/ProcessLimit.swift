import AmplifyCore
import Foundation

/// The most processes a build, or an SSR compute, may have at once (`--build-max-processes`): a fork bomb in an
/// `amplify.yml` or a compute's code stops there instead of filling the machine's process table. The kernel counts
/// tasks, so threads count too (a Node.js process is about 7 to 11 of them).
///
/// Held by a `pids` control group where the server can make one (root: `ControlGroup`), else by `RLIMIT_NPROC` where
/// that counts only the build's own processes (computes always by the rlimit): under a user of its own (a root server's builds and computes,
/// `ProcessUser`) or inside a user namespace of its own (an unprivileged server's PID namespace or sandbox), the rlimit
/// set inside it. Elsewhere (an unprivileged server without user namespaces) the rlimit would count the whole
/// session of the user who runs the server, so it is not set, and the log says the processes are not limited.
public struct ProcessLimit: Sendable, Equatable {
    /// 2048: a fork bomb stops at a sixteenth of the kernel's usual `pid_max` (32768), while a real build stays far
    /// below it: a `next build` on a 16-CPU machine runs about 15 workers of a few dozen threads each (~500 tasks);
    /// `npm install` a few dozen. Podman's default `--pids-limit` is the same; Lambda, where Amplify's computes
    /// run, allows 1,024 per execution environment.
    public static let defaultMaximum = 2048
    /// Below this a build's own shell and tools cannot start (`--build-max-processes` refuses less).
    public static let leastMaximum = 16

    public var maximum: Int

    public init(maximum: Int = Self.defaultMaximum) {
        self.maximum = maximum
    }

    /// Words that run a command with `RLIMIT_NPROC` at the limit (util-linux's `prlimit`), when `ownCount` (the
    /// command runs as a user of its own, or in a user namespace of its own, where the kernel counts only its
    /// processes); none otherwise, or without `prlimit`.
    public func rlimitWords(ownCount: Bool) -> [String] {
        guard ownCount, Self.prlimit != nil else { return [] }
        return ["prlimit", "--nproc=\(self.maximum):\(self.maximum)", "--"]
    }

    /// Whether `rlimitWords` can hold a command with its own count.
    public static var rlimitAvailable: Bool { Self.prlimit != nil }

    private static let prlimit = SearchPath.find("prlimit")

    /// Why a build that reached the limit failed, or what its log says when it did not.
    public var reachedReason: String {
        "The build reached its limit of \(self.maximum) processes and threads (--build-max-processes); a process could not be started."
    }
}
