import Foundation

/// Where an app's repository is: on this machine (a path, absolute or relative, or a `file://` URL), or remote.
/// The one definition of "on this machine": such a repository needs no token (CreateApp, UpdateApp) and build
/// mode `auto` builds it for real.
public enum RepositoryLocation {
    public static func isOnThisMachine(_ repository: String) -> Bool {
        let lowercased = repository.lowercased()
        return repository.hasPrefix("/") || repository.hasPrefix("./") || repository.hasPrefix("../") || lowercased.hasPrefix("file://")
    }

    /// What git clones: a relative path is taken from the server's working folder (`base`), so that a build, which
    /// runs elsewhere, finds it.
    public static func cloneSource(_ repository: String, base: String = FileManager.default.currentDirectoryPath) -> String {
        guard repository.hasPrefix("./") || repository.hasPrefix("../") else { return repository }
        return URL(fileURLWithPath: repository, relativeTo: URL(fileURLWithPath: base, isDirectory: true)).standardizedFileURL.path
    }

    /// The folder of a repository on this machine (a `file://` URL's path, or a path, a relative one taken from
    /// `base`); nil for a remote one. This is what `SourceFolders` checks before git or the follower reads it.
    public static func localPath(_ repository: String, base: String = FileManager.default.currentDirectoryPath) -> String? {
        guard self.isOnThisMachine(repository) else { return nil }
        if repository.lowercased().hasPrefix("file://") {
            guard let url = URL(string: repository) else { return String(repository.dropFirst("file:".count)) }
            // `file://elsewhere/x` names no folder of this machine; kept unresolvable rather than read as `/x`.
            if let host = url.host, !host.isEmpty, host.lowercased() != "localhost" { return "//\(host)\(url.path)" }
            return url.path
        }
        return self.cloneSource(repository, base: base)
    }
}
