import AmplifyCore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The unprivileged account a build runs as when the server runs as root: a user and group of its own, picked at
/// random from a range no account uses (2,100,000,000 and up), so that a build's commands can neither read the
/// database, write the data directory nor touch other users' files, and no two builds can read each other's
/// workspace (each is 0700, its build's own).
public struct ProcessUser: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32

    /// The first id of the range builds' users are picked from, and how many there are.
    static let firstId: UInt32 = 2_100_000_000
    static let idCount: UInt32 = 16_000_000

    /// Whether `uid` is one a build (or a compute) runs as: the server refuses such users its API.
    public static func isBuildUser(_ uid: UInt32) -> Bool {
        uid >= self.firstId && uid - self.firstId < self.idCount
    }

    /// Whether builds can run as another user: this process is root and `setpriv` (util-linux) is there to switch.
    public static var available: Bool {
        geteuid() == 0 && SearchPath.find("setpriv") != nil
    }

    /// A new user for one build when `available`; else nil, and builds run as the server's own user. In a container it
    /// is the container's root, and the ids after it (the container's other users) stay in the range too.
    public static func forBuild() -> ProcessUser? {
        guard self.available else { return nil }
        let id = self.firstId + UInt32.random(in: 0..<(self.idCount - ContainerRun.mappedIds))
        return ProcessUser(uid: id, gid: id)
    }

    /// The command line that runs `command` as this user, with no way back to privileges.
    public func wrap(_ command: [String]) -> [String] {
        ["setpriv", "--reuid=\(self.uid)", "--regid=\(self.gid)", "--clear-groups", "--no-new-privs", "--"] + command
    }

    /// Makes `url` and everything below it belong to this user (the workspace, after the clone; a compute's cache).
    public func own(_ url: URL) {
        lchown(url.path, self.uid, self.gid)
        guard let walker = FileManager.default.enumerator(atPath: url.path) else { return }
        while let relative = walker.nextObject() as? String {
            lchown(url.path + "/" + relative, self.uid, self.gid)
        }
    }
}
