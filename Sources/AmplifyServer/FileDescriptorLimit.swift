import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's limit of open files (RLIMIT_NOFILE). Each connection holds one, so a low soft limit (1024 is many
/// systems' default, kept low for old programs that loop over every descriptor) is what a flood of idle connections
/// exhausts first; the hard limit is the one a process may raise it to by itself.
public enum FileDescriptorLimit {
    /// The soft limit before and after raising it to the hard one (on Linux at most `fs.nr_open`, the most a
    /// process may ever have, when the hard one is unlimited). Unchanged where raising fails.
    @discardableResult
    public static func raiseToHard() -> (before: Int, after: Int) {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return (0, 0) }
        let before = limit.rlim_cur
        var target = limit.rlim_max
        #if os(Linux)
        if target == Self.unlimited, let text = try? String(contentsOfFile: "/proc/sys/fs/nr_open", encoding: .ascii),
            let most = rlim_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            target = most
        }
        #else
        target = min(target, rlim_t(OPEN_MAX))
        #endif
        guard target > before else { return (Self.count(before), Self.count(before)) }
        limit.rlim_cur = target
        guard setrlimit(resource, &limit) == 0 else { return (Self.count(before), Self.count(before)) }
        return (Self.count(before), Self.count(target))
    }

    /// The soft limit in force.
    public static var current: Int {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return 1024 }
        return Self.count(limit.rlim_cur)
    }

    private static func count(_ value: rlim_t) -> Int {
        value == Self.unlimited || value > rlim_t(Int.max) ? Int.max : Int(value)
    }

    /// RLIM_INFINITY (all bits set), which Swift does not import from its macro.
    private static let unlimited = rlim_t.max

    #if os(Linux)
    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resource = RLIMIT_NOFILE
    #endif
}
