import AmplifyCore
import Foundation
import ZIPFoundation

/// Unpacks a deployment's zip into a site folder, refusing any entry that would land outside it:
/// absolute paths, `..`, and symbolic links (which could point anywhere; with `keepingLinksInside`, as an SSR
/// deployment's `node_modules` has them, those that stay inside the folder are kept) stop the deployment, and so does
/// a zip whose entries declare more than `maxBytes` in all (a zip bomb).
public enum SiteArchive {
    public struct Refused: Error, Equatable {
        public var message: String
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
        for entry in entries {
            if entry.type == .symlink {
                guard keepingLinksInside else { throw Refused(message: "The zip holds a symbolic link (\(entry.path)); links are not deployed.") }
                var target = Data()
                _ = try? archive.extract(entry, skipCRC32: true) { target.append($0) }
                let destination = String(decoding: target, as: UTF8.self)
                guard Self.staysInside(link: entry.path, to: destination) else {
                    throw Refused(message: "The zip's symbolic link \(entry.path) points outside it (to \(destination)); links must stay inside.")
                }
            }
            let path = entry.type == .directory && entry.path.hasSuffix("/") ? String(entry.path.dropLast()) : entry.path
            guard SiteFiles.safeRelativePath(path) != nil else {
                throw Refused(message: "The zip entry \(entry.path) would land outside the site folder.")
            }
        }
        var files = 0
        var bytes: Int64 = 0
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for entry in entries {
                let target = folder.appending(path: entry.path)
                if entry.type == .directory {
                    try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
                    continue
                }
                try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                _ = try archive.extract(entry, to: target)
                files += 1
                bytes += Int64(entry.uncompressedSize)
            }
        } catch let refused as Refused {
            throw refused
        } catch {
            throw Refused(message: "The zip could not be unpacked: \(error.localizedDescription)")
        }
        return (files, bytes)
    }

    /// Whether a link at `link` (a path inside the folder) to `destination` points inside the folder.
    static func staysInside(link: String, to destination: String) -> Bool {
        guard !destination.hasPrefix("/"), !destination.isEmpty else { return false }
        var parts = link.split(separator: "/").dropLast().map(String.init)
        for part in destination.split(separator: "/") {
            switch part {
            case ".": continue
            case "..":
                guard !parts.isEmpty else { return false }
                parts.removeLast()
            default: parts.append(String(part))
            }
        }
        return true
    }
}
