import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Folders and files of a node's data folder kept in an object store under the same names (the key of
/// `artifacts/a/b/3/index.html` is that path), so that nodes share no folder. A folder goes file by file, then its
/// listing (`<key>.folder.json`: each file's size and mode, each symbolic link's target), written last: a folder
/// without a listing is not whole, and is not fetched. Transfers stream between disk and store, eight at a time.
public struct ObjectStoreFolders: Sendable {
    public let client: S3Client

    public init(client: S3Client) {
        self.client = client
    }

    /// How many objects go or come at once.
    static let parallel = 8

    struct Listing: Codable {
        struct File: Codable {
            var path: String
            var size: Int64
            var mode: Int
        }
        struct Link: Codable {
            var path: String
            var target: String
        }
        var files: [File] = []
        var links: [Link] = []
    }

    static func listingKey(_ key: String) -> String { key + ".folder.json" }

    /// Stores every file and link under `folder` as `key/<path>`, then the folder's listing.
    public func push(folder: URL, as key: String) async throws {
        let root = folder.standardizedFileURL.path
        var listing = Listing()
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            let path = root + "/" + relative
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFLNK:
                listing.links.append(Listing.Link(path: relative, target: try FileManager.default.destinationOfSymbolicLink(atPath: path)))
            case S_IFREG:
                listing.files.append(Listing.File(path: relative, size: Int64(info.st_size), mode: Int(info.st_mode & 0o777)))
            default:
                break
            }
        }
        let client = self.client
        try await Self.each(listing.files) { file in try await client.upload(file: root + "/" + file.path, as: key + "/" + file.path) }
        let encoded = try JSONEncoder().encode(listing)
        try await client.put(Self.listingKey(key), Array(encoded), contentType: "application/json")
    }

    /// Fetches the folder stored as `key` into `folder` (made, with what it holds); nil when there is no whole
    /// folder of that key, else the bytes of its files.
    public func pull(_ key: String, into folder: URL) async throws -> Int64? {
        guard let encoded = try await self.client.get(Self.listingKey(key)) else { return nil }
        let listing = try JSONDecoder().decode(Listing.self, from: Data(encoded))
        let root = folder.standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        for entry in listing.files.map(\.path) + listing.links.map(\.path) {
            guard Self.isInside(entry) else { throw S3Client.Failure(status: 200, code: "BadListing", message: "\(key)'s listing names \(entry).") }
            let parent = (root + "/" + entry as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        }
        let client = self.client
        try await Self.each(listing.files) { file in
            let path = root + "/" + file.path
            guard try await client.download(key + "/" + file.path, to: path) else {
                throw S3Client.Failure(status: 404, code: "NoSuchKey", message: "\(key)/\(file.path), which \(key)'s listing names, is not there.")
            }
            chmod(path, mode_t(file.mode))
        }
        for link in listing.links {
            // As a deployment's zip may keep only links that stay inside it, so may a listing.
            guard Self.staysInside(link.target, from: link.path) else {
                throw S3Client.Failure(status: 200, code: "BadListing", message: "\(key)'s link \(link.path) leads out of the folder (\(link.target)).")
            }
            try FileManager.default.createSymbolicLink(atPath: root + "/" + link.path, withDestinationPath: link.target)
        }
        return listing.files.reduce(0) { $0 + $1.size }
    }

    public func push(file: URL, as key: String) async throws {
        try await self.client.upload(file: file.path, as: key)
    }

    public func put(_ bytes: [UInt8], as key: String) async throws {
        try await self.client.put(key, bytes)
    }

    public func get(_ key: String) async throws -> [UInt8]? {
        try await self.client.get(key)
    }

    public func has(_ key: String) async throws -> Bool {
        try await self.client.exists(key)
    }

    /// Fetches the object `key` into `file` (its folder made); false when there is none.
    public func pull(file key: String, into file: URL) async throws -> Bool {
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        return try await self.client.download(key, to: file.path)
    }

    /// The keys of the objects under `key/` (a folder filled object by object, whose listing is never written).
    public func list(_ key: String) async throws -> [String] {
        try await self.client.list(prefix: key + "/")
    }

    /// Removes the folder of that key (its listing first, so that it is never fetched half gone), everything else under
    /// `key/`, and the object `key`.
    public func remove(_ key: String) async throws {
        let client = self.client
        try await client.delete(Self.listingKey(key))
        try await Self.each(try await client.list(prefix: key + "/")) { object in try await client.delete(object) }
        // An object of that very name (a file's); a store on a file system may refuse it for a folder it keeps.
        try? await client.delete(key)
    }

    /// A path of a listing that stays inside its folder.
    static func isInside(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return !path.isEmpty && !path.hasPrefix("/") && !path.contains("\0") && parts.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    /// Whether a link at `path` (in the folder) to `target` names something in the folder: relative, never above it.
    static func staysInside(_ target: String, from path: String) -> Bool {
        guard !target.hasPrefix("/"), !target.contains("\0") else { return false }
        var depth = path.split(separator: "/").count - 1
        for part in target.split(separator: "/") {
            if part == ".." { depth -= 1 } else if part != "." { depth += 1 }
            if depth < 0 { return false }
        }
        return true
    }

    /// Runs `work` for every item, `parallel` at a time; the first failure ends it.
    static func each<Item: Sendable>(_ items: [Item], _ work: @escaping @Sendable (Item) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = items.makeIterator()
            for _ in 0..<Self.parallel {
                guard let item = next.next() else { break }
                group.addTask { try await work(item) }
            }
            while try await group.next() != nil {
                if let item = next.next() { group.addTask { try await work(item) } }
            }
        }
    }
}
