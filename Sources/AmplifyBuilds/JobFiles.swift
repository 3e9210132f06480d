import AmplifyCore
import Foundation

/// Where builds keep their files: under `buildRoot` (the data folder, or a folder of its own that an
/// unprivileged build user can reach when the server runs as root)
///
///     builds/<run>/                                   a running build's workspace (removed when it ends)
///     builds/<node>/<run>/                            the same, for a node of several sharing the folder
///     cache/<account>/<region>/<app>/<branch>.tar        a branch's build cache
///
/// and, under `root` through `sites` (`SiteFiles`), the jobs' sites and deployment uploads.
///
/// Path segments are percent-encoded, so a branch named `feature/x` stays one folder.
public struct JobFiles: Sendable {
    public let root: URL
    /// Where workspaces and caches live.
    public let buildRoot: URL
    /// Whether the folder belongs to this run of the server only (state in memory) and goes with it.
    public let isTemporary: Bool

    /// The jobs' sites (a build's artifacts) and deployment uploads.
    public let sites: SiteFiles
    /// The node whose workspaces these are, when several share the folder: each sees and cleans up only its own.
    public let node: String?

    /// With `shared`, the object store the nodes keep their files in, of which this node holds up to `cacheBytes` of
    /// sites (`SiteFiles`).
    public init(
        root: URL, buildRoot: URL? = nil, isTemporary: Bool = false, node: String? = nil, shared: (any SharedFolders)? = nil,
        cacheBytes: Int64 = 2 << 30
    ) {
        self.root = root
        self.buildRoot = buildRoot ?? root
        self.isTemporary = isTemporary
        self.sites = SiteFiles(root: root, shared: shared, cacheBytes: cacheBytes)
        self.node = node
    }

    /// A new folder under the system's temporary folder, for a server that keeps its state in memory.
    public static func temporary() -> JobFiles {
        JobFiles(root: FileManager.default.temporaryDirectory.appending(path: "amplify-local-\(UUID().uuidString.lowercased())"), isTemporary: true)
    }

    var builds: URL {
        let builds = self.buildRoot.appending(path: "builds", directoryHint: .isDirectory)
        return self.node.map { builds.appending(path: SiteFiles.segment($0), directoryHint: .isDirectory) } ?? builds
    }

    func workspace(_ run: String) -> URL {
        self.builds.appending(path: run, directoryHint: .isDirectory)
    }

    func cache(_ scope: Scope, appId: String, branchName: String) -> URL {
        self.cacheFolder(scope, appId: appId).appending(path: SiteFiles.segment(branchName) + ".tar", directoryHint: .notDirectory)
    }

    /// Where every app's caches are.
    var cacheRoot: URL {
        self.buildRoot.appending(path: "cache", directoryHint: .isDirectory)
    }

    private func cacheFolder(_ scope: Scope, appId: String) -> URL {
        SiteFiles(root: self.buildRoot).appFolder("cache", scope, appId: appId)
    }

    /// Removes a deleted job's site and uploads.
    public func removeJob(_ key: JobKey) async {
        await self.sites.removeJob(key)
    }

    /// Removes a deleted branch's sites, uploads and cache.
    public func removeBranch(_ scope: Scope, appId: String, branchName: String) async {
        await self.sites.removeBranch(scope, appId: appId, branchName: branchName)
        let cache = self.cache(scope, appId: appId, branchName: branchName)
        SiteFiles.remove(cache)
        try? await self.sites.shared?.remove(self.cacheKey(cache))
    }

    /// Removes a deleted app's sites, uploads and caches.
    public func removeApp(_ scope: Scope, appId: String) async {
        await self.sites.removeApp(scope, appId: appId)
        let caches = self.cacheFolder(scope, appId: appId)
        SiteFiles.remove(caches)
        try? await self.sites.shared?.remove(self.cacheKey(caches))
    }

    /// Removes every site, upload and cache (the admin reset), here and in the object store.
    public func removeAll() async {
        for kind in SiteFiles.kinds + ["access-logs"] {
            SiteFiles.remove(self.root.appending(path: kind, directoryHint: .isDirectory))
            try? await self.sites.shared?.remove(kind)
        }
        SiteFiles.remove(self.cacheRoot)
        try? await self.sites.shared?.remove("cache")
        self.sites.cache?.forget { _ in true }
    }

    /// Fetches the branch's build cache from the object store, when there is one (the branch's last build may have run
    /// on another node); whether it came. Without it, the build starts from this node's cache, or none.
    func fetchCache(_ file: URL) async -> Bool {
        (try? await self.sites.fetch(file: file, key: self.cacheKey(file))) == true
    }

    /// Stores the branch's build cache in the object store, when there is one; a failure is a warning in the log (the
    /// next build starts without it), not the build's.
    func shareCache(_ file: URL, log: BuildLog) async {
        guard let shared = self.sites.shared, FileManager.default.fileExists(atPath: file.path) else { return }
        do {
            try await shared.push(file: file, as: self.cacheKey(file))
        } catch {
            log.line("The build cache could not be stored in the object store: \(error)", level: .warning)
        }
    }

    /// A build cache's object in the object store: its path under `buildRoot`.
    func cacheKey(_ url: URL) -> String {
        String(url.standardizedFileURL.path.dropFirst(self.buildRoot.standardizedFileURL.path.count + 1))
    }

    /// Whether a workspace is there (a build is running, or was when the server stopped).
    var hasWorkspaces: Bool {
        !((try? FileManager.default.contentsOfDirectory(atPath: self.builds.path)) ?? []).isEmpty
    }

    /// The runs whose workspaces are there (each build's workspace is named by its run).
    var workspaceRuns: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: self.builds.path)) ?? []
    }

    /// Removes workspaces that a previous run of the server left behind.
    func removeWorkspaces() {
        SiteFiles.remove(self.builds)
    }
}
