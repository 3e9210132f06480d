import AmplifyCore
import Foundation
import ZIPFoundation

/// Unpacks a deployment's zip into a site folder, refusing any entry that would land outside it. Absolute paths and
/// `..` stop the deployment, and so do symbolic links: with `keepingLinksInside` (an SSR deployment's
/// `node_modules` has them) those that stay inside are kept. Where an entry lands and where a link points are
/// decided as the file system would decide them once the whole zip is on disk (`ContainedPath`: each component
/// resolved through the zip's own links, chains included), before anything is written; entries are then written at
/// the place they resolve to, never through a link. Sizes are counted as bytes are written, not as the zip's headers
/// declare them: past `maxBytes` the unpacking stops and the deployment is refused (a zip bomb, or headers that lie).
public enum SiteArchive {
    public struct Refused: Error, Equatable {
        public var message: String
    }

    /// The longest target a link entry may have (Linux's PATH_MAX).
    static let maximumLinkTarget = 4096

    private struct Planned {
        var entry: Entry
        /// Where it is written, relative to the folder, with no link in the way.
        var location: String
        var linkTarget: String?
    }

    /// Extracts `zip` into `folder` (created); returns the number of files and their total size.
    public static func extract(
        _ zip: URL, into folder: URL, maxBytes: Int64, keepingLinksInside: Bool = false
    ) throws(Refused) -> (files: Int, bytes: Int64) {
        let archive: Archive
        do {
            archive = try Archive(url: zip, accessMode: .read)
        } catch {
            throw Refused(message: "The deployment's artifacts.zip is not a zip archive.")
        }
        let entries = Array(archive)
        let declared = entries.reduce(Int64(0)) { $0 + Int64(clamping: $1.uncompressedSize) }
        guard declared <= maxBytes else {
            throw Refused(message: "The zip unpacks to \(declared) bytes, more than the \(maxBytes) a site may have (4 × --max-upload-bytes).")
        }
        let plan = try Self.plan(entries, of: archive, keepingLinksInside: keepingLinksInside)
        var files = 0
        var bytes: Int64 = 0
        let manager = FileManager.default
        do {
            try manager.createDirectory(at: folder, withIntermediateDirectories: true)
            for item in plan {
                let target = folder.path + "/" + item.location
                switch item.entry.type {
                case .directory:
                    try manager.createDirectory(atPath: target, withIntermediateDirectories: true)
                case .symlink:
                    try manager.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    try manager.createSymbolicLink(atPath: target, withDestinationPath: item.linkTarget ?? "")
                case .file:
                    try manager.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    bytes += try Self.write(item.entry, of: archive, to: target, limit: maxBytes - bytes, total: maxBytes)
                    files += 1
                }
            }
        } catch let refused as Refused {
            throw refused
        } catch {
            throw Refused(message: "The zip could not be unpacked: \(error.localizedDescription)")
        }
        return (files, bytes)
    }

    /// Where each entry lands and what each link points at, checked against the zip as a whole.
    private static func plan(_ entries: [Entry], of archive: Archive, keepingLinksInside: Bool) throws(Refused) -> [Planned] {
        var links: [String: String] = [:]
        var files = Set<String>()
        var directories = Set<String>()
        var plan: [Planned] = []
        for entry in entries {
            let path = entry.type == .directory && entry.path.hasSuffix("/") ? String(entry.path.dropLast()) : entry.path
            guard let safe = SiteFiles.safeRelativePath(path) else {
                throw Refused(message: "The zip entry \(entry.path) would land outside the site folder.")
            }
            guard let place = ContainedPath.resolve(safe, followingLast: false, link: { links[$0] }) else {
                throw Refused(message: "The zip entry \(entry.path) would be written through a symbolic link to outside the site folder.")
            }
            let location = place.joined(separator: "/")
            var parent = ""
            for part in place.dropLast() {
                parent = parent.isEmpty ? part : parent + "/" + part
                guard !files.contains(parent) else { throw Refused(message: "The zip entry \(entry.path) is inside \(parent), which the zip also holds as a file.") }
                directories.insert(parent)
            }
            guard !files.contains(location), links[location] == nil, entry.type == .directory || !directories.contains(location) else {
                throw Refused(message: "The zip holds \(entry.path) twice (or as a file and a folder, or through a link to it).")
            }
            var planned = Planned(entry: entry, location: location)
            switch entry.type {
            case .directory:
                directories.insert(location)
            case .file:
                files.insert(location)
            case .symlink:
                guard keepingLinksInside else { throw Refused(message: "The zip holds a symbolic link (\(entry.path)); links are not deployed.") }
                guard entry.compressedSize <= UInt64(Self.maximumLinkTarget) else {
                    throw Refused(message: "The zip's symbolic link \(entry.path) is longer than \(Self.maximumLinkTarget) bytes.")
                }
                var data = Data()
                _ = try? archive.extract(entry, skipCRC32: true) { data.append($0) }
                let target = String(decoding: data, as: UTF8.self)
                guard data.count <= Self.maximumLinkTarget, !target.isEmpty, !target.contains("\0"), !target.hasPrefix("/") else {
                    throw Refused(message: "The zip's symbolic link \(entry.path) points outside it (to \(target)); links must stay inside.")
                }
                links[location] = target
                files.insert(location)
                planned.linkTarget = target
            }
            plan.append(planned)
        }
        // Every link as the unpacked site will have them, so that a later link cannot bend an earlier one outside.
        for (location, target) in links.sorted(by: { $0.key < $1.key }) {
            guard ContainedPath.target(ofLinkAt: location, target, link: { links[$0] }) != nil else {
                throw Refused(message: "The zip's symbolic link \(location) points outside it (to \(target), through the zip's links); links must stay inside.")
            }
        }
        return plan
    }

    /// Writes one file entry at `path` (which must not exist, nor be a link), counting the bytes as they come;
    /// returns how many. More than `limit` stops it.
    private static func write(_ entry: Entry, of archive: Archive, to path: String, limit: Int64, total: Int64) throws -> Int64 {
        let permissions = ((entry.fileAttributes[.posixPermissions] as? NSNumber)?.uint16Value ?? 0o644) & 0o755 | 0o600
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode_t(permissions))
        guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var written: Int64 = 0
        _ = try archive.extract(entry) { data in
            written += Int64(data.count)
            guard written <= limit else {
                throw Refused(
                    message: "The zip unpacks to more than \(total) bytes, the most a site may have (4 × --max-upload-bytes); its headers declared less. Nothing was deployed."
                )
            }
            try handle.write(contentsOf: data)
        }
        return written
    }
}
