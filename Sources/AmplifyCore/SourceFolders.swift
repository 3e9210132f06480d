import Foundation

/// The folders of this machine that `file://` sources may be read from (`--deploy-from`): a manual deployment's
/// `sourceUrl` and an app's repository on this machine (a path or `file://` URL, cloned for builds and followed for
/// pushes). Anything else the server's user can read (`/etc`, `~/.ssh`, the data folder with its URL-signing key and
/// every tenant's variables) is never published. The data folder, the builds' folder and the credentials file are
/// `protected`: never read, even inside an allowed folder, and no folder that holds one is deployed either (a copy of
/// it would carry them). Paths are compared once their symbolic links are resolved (`realpath`), so a link inside an
/// allowed folder that points at `/etc` is refused.
public struct SourceFolders: Sendable, Equatable {
    /// The allowed folders, resolved.
    public let allowed: [String]
    /// What is never read, resolved.
    public let protected: [String]

    /// What a path is: allowed (its resolved path) or refused (why, in a sentence naming it and `--deploy-from`).
    public enum Decision: Sendable, Equatable {
        case allowed(String)
        case refused(String)
    }

    /// `allowed` and `protected` paths, relative ones taken from `base` (the server's working folder).
    public init(allowed: [String], protected: [String] = [], base: String = FileManager.default.currentDirectoryPath) {
        self.allowed = allowed.map { Self.resolve($0, base: base) }
        self.protected = protected.map { Self.resolve($0, base: base) }
    }

    /// The default of `--deploy-from`: the folder the server was started in, so that repositories beside it (and
    /// `./site`) are built; none when that is `/` or the home folder (a service manager's default, or a folder that
    /// holds `~/.ssh` and `~/.aws`), where only folders named with `--deploy-from` are read.
    public static func defaultFolders(workingDirectory: String, home: String?) -> [String] {
        let folder = Self.resolve(workingDirectory, base: "/")
        let homes = [home].compactMap { $0 }.filter { !$0.isEmpty }.map { Self.resolve($0, base: "/") }
        return folder == "/" || homes.contains(folder) ? [] : [folder]
    }

    /// Whether `path` (absolute, or relative to `base`) may be read as `what` names it ("The sourceUrl file:///etc",
    /// "The repository ../x"). With `holdingAllowed` false (a folder that is copied whole), a folder that holds a
    /// protected path is refused too.
    public func check(_ path: String, as what: String, holdingAllowed: Bool = true, base: String = FileManager.default.currentDirectoryPath) -> Decision {
        let resolved = Self.resolve(path, base: base)
        let resolvedNote = resolved == path ? "" : " (\(resolved))"
        for protected in self.protected {
            if Self.isInside(resolved, protected) {
                return .refused("\(what)\(resolvedNote) is inside the server's own files (its data folder, builds' folder or credentials), which are never deployed or built from.")
            }
            if !holdingAllowed, Self.isInside(protected, resolved) {
                return .refused("\(what)\(resolvedNote) holds the server's own files (its data folder, builds' folder or credentials), which are never deployed.")
            }
        }
        guard self.allowed.contains(where: { Self.isInside(resolved, $0) }) else {
            let folders = self.allowed.isEmpty ? "no folder is allowed" : "it is in no folder allowed"
            return .refused(
                "\(what)\(resolvedNote) is outside the folders this server reads file:// sources from (\(folders)): start the server with --deploy-from <folder> (or AMPLIFY_LOCAL_DEPLOY_FROM) naming a folder that holds it."
            )
        }
        return .allowed(resolved)
    }

    /// Whether `path` is `folder` or inside it (both resolved).
    public static func isInside(_ path: String, _ folder: String) -> Bool {
        folder == "/" || path == folder || path.hasPrefix(folder + "/")
    }

    /// `path` made absolute (from `base`) with its symbolic links resolved as `realpath` does; for a path that does
    /// not exist, its longest existing parent resolved and the rest appended (`.` and `..` taken as written).
    public static func resolve(_ path: String, base: String) -> String {
        let absolute = path.hasPrefix("/") ? path : (base.hasSuffix("/") ? base : base + "/") + path
        var head = absolute
        var tail: [String] = []
        while true {
            if let real = realpath(head, nil) {
                defer { free(real) }
                var parts = String(cString: real).split(separator: "/").map(String.init)
                for part in tail {
                    switch part {
                    case "", ".": continue
                    case "..": if !parts.isEmpty { parts.removeLast() }
                    default: parts.append(part)
                    }
                }
                return "/" + parts.joined(separator: "/")
            }
            let parent = (head as NSString).deletingLastPathComponent
            guard parent != head, !parent.isEmpty else { break }
            tail.insert((head as NSString).lastPathComponent, at: 0)
            head = parent
        }
        return URL(fileURLWithPath: absolute).standardizedFileURL.path
    }
}
