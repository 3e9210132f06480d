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
}
