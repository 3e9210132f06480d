import AmplifyCore
import Foundation

/// Where deployed sites and deployment uploads live under the server's data folder:
///
///     artifacts/<account>/<region>/<app>/<branch>/<job>/   a job's site (a build's artifacts, a deployment's files)
///     uploads/<account>/<region>/<app>/<branch>/<job>/     what was PUT to a deployment's upload URLs
///
/// Path segments are percent-encoded, so a branch named `feature/x` stays one folder.
public struct SiteFiles: Sendable {
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    /// The folder a job's site is served from.
    public func site(_ key: JobKey) -> URL {
        self.folder("artifacts", key)
    }

    /// The folder a deployment's uploads are kept in until it is deployed.
    public func uploads(_ key: JobKey) -> URL {
        self.folder("uploads", key)
    }

    /// The file a zip upload is kept in.
    public func zipUpload(_ key: JobKey) -> URL {
        self.uploads(key).appending(path: "artifacts.zip", directoryHint: .notDirectory)
    }

    /// The folder the file uploads are kept in, each under its encoded site path (`fileUpload`).
    public func fileUploads(_ key: JobKey) -> URL {
        self.uploads(key).appending(path: "files", directoryHint: .isDirectory)
    }

    /// The file an upload for site path `name` is kept in (flat: the name is one encoded segment).
    public func fileUpload(_ key: JobKey, name: String) -> URL {
        self.fileUploads(key).appending(path: Self.segment(name), directoryHint: .notDirectory)
    }

    /// The site path of a file upload (the inverse of `fileUpload`'s last segment).
    public static func uploadName(_ segment: String) -> String? {
        segment.removingPercentEncoding
    }

    public func removeJob(_ key: JobKey) {
        Self.remove(self.site(key))
        Self.remove(self.uploads(key))
    }

    public func removeBranch(_ scope: Scope, appId: String, branchName: String) {
        for kind in ["artifacts", "uploads"] {
            Self.remove(self.appFolder(kind, scope, appId: appId).appending(path: Self.segment(branchName), directoryHint: .isDirectory))
        }
    }

    public func removeApp(_ scope: Scope, appId: String) {
        for kind in ["artifacts", "uploads"] {
            Self.remove(self.appFolder(kind, scope, appId: appId))
        }
    }

    public static func remove(_ url: URL) {
        try? FileManager.default.removeItem(at: url)
    }

    public func appFolder(_ kind: String, _ scope: Scope, appId: String) -> URL {
        self.root.appending(path: kind, directoryHint: .isDirectory)
            .appending(path: Self.segment(scope.account), directoryHint: .isDirectory)
            .appending(path: Self.segment(scope.region), directoryHint: .isDirectory)
            .appending(path: Self.segment(appId), directoryHint: .isDirectory)
    }

    private func folder(_ kind: String, _ key: JobKey) -> URL {
        self.appFolder(kind, key.scope, appId: key.appId)
            .appending(path: Self.segment(key.branchName), directoryHint: .isDirectory)
            .appending(path: String(key.jobId), directoryHint: .isDirectory)
    }

    private static let segmentCharacters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")

    /// A name as one path segment: percent-encoded, never `.` or `..`.
    public static func segment(_ name: String) -> String {
        let encoded = name.addingPercentEncoding(withAllowedCharacters: Self.segmentCharacters) ?? "_"
        return encoded == "." || encoded == ".." || encoded.isEmpty ? encoded.replacingOccurrences(of: ".", with: "%2E") + "%00" : encoded
    }

    /// A site path from an upload or a zip (`assets/app.js`), checked: relative, no `..`, no empty or NUL parts.
    public static func safeRelativePath(_ path: String) -> String? {
        let trimmed = path.hasPrefix("./") ? String(path.dropFirst(2)) : path
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        guard !trimmed.isEmpty, !trimmed.hasPrefix("/"), !trimmed.contains("\0"), !trimmed.contains("\\"),
            parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." })
        else { return nil }
        return trimmed
    }
}
