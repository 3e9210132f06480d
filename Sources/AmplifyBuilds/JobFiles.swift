import AmplifyCore
import Foundation

/// Where builds keep their files under the server's data folder:
///
///     builds/<run>/                                   a running build's workspace (removed when it ends)
///     artifacts/<account>/<region>/<app>/<branch>/<job>/   a job's deployable output
///     cache/<account>/<region>/<app>/<branch>.tar        a branch's build cache
///
/// Path segments are percent-encoded, so a branch named `feature/x` stays one folder.
public struct JobFiles: Sendable {
    public let root: URL
    /// Whether the folder belongs to this run of the server only (state in memory) and goes with it.
    public let isTemporary: Bool

    public init(root: URL, isTemporary: Bool = false) {
        self.root = root
        self.isTemporary = isTemporary
    }

    /// A new folder under the system's temporary folder, for a server that keeps its state in memory.
    public static func temporary() -> JobFiles {
        JobFiles(root: FileManager.default.temporaryDirectory.appending(path: "amplify-local-\(UUID().uuidString.lowercased())"), isTemporary: true)
    }

    var builds: URL { self.root.appending(path: "builds", directoryHint: .isDirectory) }

    func workspace(_ run: String) -> URL {
        self.builds.appending(path: run, directoryHint: .isDirectory)
    }

    public func artifacts(_ key: JobKey) -> URL {
        self.branchFolder("artifacts", key.scope, appId: key.appId, branchName: key.branchName)
            .appending(path: String(key.jobId), directoryHint: .isDirectory)
    }

    func cache(_ scope: Scope, appId: String, branchName: String) -> URL {
        self.appFolder("cache", scope, appId: appId).appending(path: Self.segment(branchName) + ".tar", directoryHint: .notDirectory)
    }

    /// Removes a deleted job's artifacts.
    public func removeJob(_ key: JobKey) {
        Self.remove(self.artifacts(key))
    }

    /// Removes a deleted branch's artifacts and cache.
    public func removeBranch(_ scope: Scope, appId: String, branchName: String) {
        Self.remove(self.branchFolder("artifacts", scope, appId: appId, branchName: branchName))
        Self.remove(self.cache(scope, appId: appId, branchName: branchName))
    }

    /// Removes a deleted app's artifacts and caches.
    public func removeApp(_ scope: Scope, appId: String) {
        Self.remove(self.appFolder("artifacts", scope, appId: appId))
        Self.remove(self.appFolder("cache", scope, appId: appId))
    }

    /// Removes workspaces that a previous run of the server left behind.
    func removeWorkspaces() {
        Self.remove(self.builds)
    }

    static func remove(_ url: URL) {
        try? FileManager.default.removeItem(at: url)
    }

    private func appFolder(_ kind: String, _ scope: Scope, appId: String) -> URL {
        self.root.appending(path: kind, directoryHint: .isDirectory)
            .appending(path: Self.segment(scope.account), directoryHint: .isDirectory)
            .appending(path: Self.segment(scope.region), directoryHint: .isDirectory)
            .appending(path: Self.segment(appId), directoryHint: .isDirectory)
    }

    private func branchFolder(_ kind: String, _ scope: Scope, appId: String, branchName: String) -> URL {
        self.appFolder(kind, scope, appId: appId).appending(path: Self.segment(branchName), directoryHint: .isDirectory)
    }

    private static let segmentCharacters = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))

    private static func segment(_ name: String) -> String {
        let encoded = name.addingPercentEncoding(withAllowedCharacters: Self.segmentCharacters) ?? "_"
        return encoded == "." || encoded == ".." ? encoded.replacingOccurrences(of: ".", with: "%2E") : encoded
    }
}
