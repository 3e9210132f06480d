import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The unprivileged account builds run as when the server runs as root: `nobody`, so that a build's
/// commands cannot read the database, write the data directory or touch other users' files.
struct BuildUser: Sendable, Equatable {
    var uid: UInt32
    var gid: UInt32

    /// `nobody` when this process is root and `setpriv` (util-linux) is there to switch to it; else nil,
    /// and builds run as the server's own user.
    static func unprivileged() -> BuildUser? {
        guard geteuid() == 0 else { return nil }
        guard ["/usr/bin/setpriv", "/bin/setpriv", "/usr/sbin/setpriv"].contains(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            return nil
        }
        guard let entry = getpwnam("nobody") else { return BuildUser(uid: 65534, gid: 65534) }
        return BuildUser(uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }

    /// Makes `url` and everything below it belong to this user (the workspace, after the clone).
    func own(_ url: URL) {
        lchown(url.path, self.uid, self.gid)
        guard let walker = FileManager.default.enumerator(atPath: url.path) else { return }
        while let relative = walker.nextObject() as? String {
            lchown(url.path + "/" + relative, self.uid, self.gid)
        }
    }
}
