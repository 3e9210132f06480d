import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Keeps a second amplify-local from using the same data directory: with SQLite, one process owns it.
///
/// The lock is an exclusive `flock` on `<data-dir>/amplify-local.lock`, held until the process ends.
enum DataDirectoryLock {
    struct Held: Error, CustomStringConvertible {
        var directory: String
        var description: String { "Another amplify-local is already using the data directory \(self.directory)." }
    }

    static func acquire(_ directory: String) throws {
        let path = (directory as NSString).appendingPathComponent("amplify-local.lock")
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw Held(directory: directory)
        }
        // The descriptor stays open on purpose: the lock lasts as long as the process.
    }
}
