import Foundation
import Synchronization

/// A branch's compute output on disk, bounded: lines are appended to `<branch>.log` until it holds `limit` bytes,
/// which then becomes `<branch>.log.1` (the one before is dropped), so at most twice the limit is kept. amplify-local's
/// own lines (a compute started, ended) start with `===` and the time.
final class ComputeOutput: Sendable {
    static let limit = 1 << 20

    private let file: URL
    private let lock = Mutex(())

    init(file: URL) {
        self.file = file
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
    }

    func note(_ text: String) {
        self.append(Data("=== \(Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))) \(text)\n".utf8))
    }

    func append(_ data: Data) {
        self.lock.withLock { _ in
            let manager = FileManager.default
            let size = (try? manager.attributesOfItem(atPath: self.file.path)[.size] as? NSNumber)?.intValue ?? 0
            if size + data.count > Self.limit, size > 0 {
                let older = self.file.appendingPathExtension("1")
                try? manager.removeItem(at: older)
                try? manager.moveItem(at: self.file, to: older)
            }
            if let handle = FileHandle(forWritingAtPath: self.file.path) {
                handle.seekToEndOfFile()
                handle.write(data)
                try? handle.close()
            } else {
                _ = manager.createFile(atPath: self.file.path, contents: data, attributes: [.posixPermissions: 0o600])
            }
        }
    }

    /// What is kept, oldest first.
    static func read(_ file: URL) -> Data? {
        let older = FileManager.default.contents(atPath: file.appendingPathExtension("1").path)
        let current = FileManager.default.contents(atPath: file.path)
        guard older != nil || current != nil else { return nil }
        return (older ?? Data()) + (current ?? Data())
    }
}
