import Foundation

/// A path inside a folder resolved as the file system resolves it: one component at a time, each symbolic link met
/// replaced by its target there and then (so chains such as `b -> .` and `up -> b/b/../..` are followed as the
/// kernel follows them), and `..` taken from where the walk really is, not from how the path is spelled. A walk that
/// would leave the folder (a `..` at its top, an absolute link target) or meets more than 40 links (a loop, as
/// Linux's MAXSYMLINKS) ends in nil: zips and build output are refused then, rather than written or served through it.
public enum ContainedPath {
    /// Linux's limit on the links one lookup follows.
    public static let maximumLinks = 40

    /// Where `path` (relative to the folder) lands, as components from the folder; nil when it leaves the folder.
    /// `link` answers the target of the symbolic link at a folder-relative path (components joined by `/`), or nil
    /// when nothing or no link is there. With `followingLast` false the last component is taken as it is (the place
    /// an entry is written at, or a link itself); its parents are still resolved.
    public static func resolve(_ path: String, followingLast: Bool = true, link: (String) -> String?) -> [String]? {
        var pending = Array(path.split(separator: "/", omittingEmptySubsequences: true).map(String.init).reversed())
        var resolved: [String] = []
        var links = 0
        while let part = pending.popLast() {
            switch part {
            case ".":
                continue
            case "..":
                guard !resolved.isEmpty else { return nil }
                resolved.removeLast()
            default:
                let candidate = resolved + [part]
                let isLast = pending.isEmpty
                guard followingLast || !isLast, let target = link(candidate.joined(separator: "/")) else {
                    resolved = candidate
                    continue
                }
                links += 1
                guard links <= Self.maximumLinks, !target.hasPrefix("/"), !target.isEmpty, !target.contains("\0") else { return nil }
                pending.append(contentsOf: target.split(separator: "/", omittingEmptySubsequences: true).map(String.init).reversed())
            }
        }
        return resolved
    }

    /// Where the symbolic link at `linkPath` (folder-relative) with `target` points, as components; nil outside.
    public static func target(ofLinkAt linkPath: String, _ target: String, link: (String) -> String?) -> [String]? {
        guard !target.hasPrefix("/"), !target.isEmpty else { return nil }
        guard let place = Self.resolve(linkPath, followingLast: false, link: link) else { return nil }
        let parent = place.dropLast().joined(separator: "/")
        return Self.resolve(parent.isEmpty ? target : parent + "/" + target, link: link)
    }

    /// The links of a folder on disk, for `resolve`: the target of the symbolic link at a folder-relative path.
    public static func links(under root: String) -> @Sendable (String) -> String? {
        { relative in
            let path = root + "/" + relative
            var status = stat()
            guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFLNK else { return nil }
            return try? FileManager.default.destinationOfSymbolicLink(atPath: path)
        }
    }
}
