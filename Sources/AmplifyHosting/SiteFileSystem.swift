import Dispatch
#if canImport(CDispatch)
import CDispatch  // where Glibc's `struct stat` is declared as far as MemberImportVisibility is concerned
#endif
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The files of one deployed site, for Hummingbird's `FileMiddleware`: small files (the bulk of a site)
/// are looked up and read right away, from the page cache, without the hops to a thread pool that each
/// file operation of `LocalFileSystem` takes; larger ones are streamed by `LocalFileSystem`.
struct SiteFileSystem: FileProvider {
    struct FileAttributes: Sendable, FileMiddlewareFileAttributes {
        let isFolder: Bool
        let size: Int
        let modificationDate: Date
    }

    typealias FileIdentifier = String

    /// Files up to this size are read in one go.
    static let smallFileBytes = 2 * 1024 * 1024

    let root: String
    let streaming: LocalFileSystem

    init(root: String, logger: Logger) {
        self.root = root.hasSuffix("/") ? root : root + "/"
        self.streaming = LocalFileSystem(rootFolder: self.root, threadPool: .singleton, logger: logger)
    }

    func getFileIdentifier(_ path: String) -> String? {
        self.root + (path.hasPrefix("/") ? String(path.dropFirst()) : path)
    }

    func getAttributes(id path: String) async throws -> FileAttributes? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let modified = Double(info.st_mtim.tv_sec)
        return FileAttributes(
            isFolder: (info.st_mode & S_IFMT) == S_IFDIR, size: Int(info.st_size), modificationDate: Date(timeIntervalSince1970: modified)
        )
    }

    func loadFile(id path: String, context: some RequestContext) async throws -> ResponseBody {
        if let body = Self.readSmall(path, range: nil) { return body }
        return try await self.streaming.loadFile(id: path, context: context)
    }

    func loadFile(id path: String, range: ClosedRange<Int>, context: some RequestContext) async throws -> ResponseBody {
        if let body = Self.readSmall(path, range: range) { return body }
        return try await self.streaming.loadFile(id: path, range: range, context: context)
    }

    /// The file (or part of it) when it is small; nil to stream it.
    private static func readSmall(_ path: String, range: ClosedRange<Int>?) -> ResponseBody? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size <= Self.smallFileBytes else { return nil }
        let size = Int(info.st_size)
        let lower = range.map { max(0, $0.lowerBound) } ?? 0
        let upper = range.map { min(size - 1, $0.upperBound) } ?? (size - 1)
        let count = max(0, upper - lower + 1)
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        let read = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { pointer in
            max(0, pread(fd, pointer.baseAddress, count, off_t(lower)))
        }
        guard read == count else { return nil }
        return ResponseBody(byteBuffer: buffer)
    }

    /// Whether the site in `folder` has a file (or a folder with an index.html) at `path`.
    static func hasPage(_ path: String, in folder: String) -> Bool {
        var isDirectory: ObjCBool = false
        let file = folder + path
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else { return false }
        return !isDirectory.boolValue || FileManager.default.fileExists(atPath: file + "/index.html")
    }
}
