import Foundation

/// Where deployed sites and deployment uploads live under the server's data folder:
///
///     artifacts/<account>/<region>/<app>/<branch>/<job>/   a job's site (a build's artifacts, a deployment's files)
///     uploads/<account>/<region>/<app>/<branch>/<job>/     what was PUT to a deployment's upload URLs
///     test-artifacts/<account>/<region>/<app>/<branch>/<job>/   a TEST step's files, each named by its artifact id,
///                                                          and `artifacts.zip` of them all
///     deploy-settings/<account>/<region>/<app>/<branch>/<job>/customHttp.yml   the custom headers a build's
///                                                          customHttp.yml gave its deployment
///
/// Path segments are percent-encoded, so a branch named `feature/x` stays one folder.
///
/// With an object store (`shared`, `--object-store`), the folder is this node's copy: what a job publishes, a deployment's
/// uploads and a TEST step's files go to the store under the same names, and the sites this node serves come from it
/// into `cache` (SiteFiles+Sharing).
public struct SiteFiles: Sendable {
    public let root: URL
    /// The object store every node keeps its files in, if any.
    public let shared: (any SharedFolders)?
    /// The sites this node holds of those in `shared`.
    public let cache: SiteCache?

    public init(root: URL, shared: (any SharedFolders)? = nil, cacheBytes: Int64 = 2 << 30) {
        self.root = root
        self.shared = shared
        self.cache = shared == nil ? nil : SiteCache(limitBytes: cacheBytes)
    }

    /// The folder a job's site is served from.
    public func site(_ key: JobKey) -> URL {
        URL(fileURLWithPath: self.sitePath(key), isDirectory: true)
    }

    /// `site(key)` as a path, built without Foundation's URL machinery (every site request needs it).
    public func sitePath(_ key: JobKey) -> String {
        [
            self.root.path, "artifacts", Self.segment(key.scope.account), Self.segment(key.scope.region), Self.segment(key.appId),
            Self.segment(key.branchName), String(key.jobId),
        ].joined(separator: "/")
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

    /// The folder a job's test artifacts are kept in.
    public func testArtifacts(_ key: JobKey) -> URL {
        self.folder("test-artifacts", key)
    }

    /// The file a test artifact (or the test report) is kept in: named by its id, so no name from the build lands
    /// in the path.
    public func testArtifact(_ key: JobKey, artifactId: String) -> URL {
        self.testArtifacts(key).appending(path: Self.segment(artifactId), directoryHint: .notDirectory)
    }

    /// The zip of a job's test artifacts (the TEST step's `testArtifactsUrl`).
    public func testArtifactsZip(_ key: JobKey) -> URL {
        self.testArtifacts(key).appending(path: "artifacts.zip", directoryHint: .notDirectory)
    }

    /// The custom headers a build's `customHttp.yml` gave the job's deployment (in the app's `customHeaders` form),
    /// which replace the app's for it; absent when the repository has none.
    public func deploymentHeaders(_ key: JobKey) -> URL {
        self.folder("deploy-settings", key).appending(path: "customHttp.yml", directoryHint: .notDirectory)
    }

    /// The output of a branch's computes (the last MiB or two: `ComputeOutput`).
    public func computeOutput(_ key: JobKey) -> URL {
        self.appFolder("compute-output", key.scope, appId: key.appId)
            .appending(path: Self.segment(key.branchName) + ".log", directoryHint: .notDirectory)
    }

    /// What a job, branch or app keeps on disk, by kind.
    public static let kinds = ["artifacts", "uploads", "test-artifacts", "deploy-settings"]

    /// Removes a job's files (and objects).
    public func removeJob(_ key: JobKey) async {
        for kind in Self.kinds { Self.remove(self.folder(kind, key)) }
        await self.unshare(key)
    }

    /// Removes a branch's files (and objects).
    public func removeBranch(_ scope: Scope, appId: String, branchName: String) async {
        await self.unshare(scope, appId: appId, branchName: branchName)
        let output = self.computeOutput(JobKey(scope: scope, appId: appId, branchName: branchName, jobId: 0))
        Self.remove(output)
        Self.remove(output.appendingPathExtension("1"))
        for kind in Self.kinds {
            Self.remove(self.appFolder(kind, scope, appId: appId).appending(path: Self.segment(branchName), directoryHint: .isDirectory))
        }
    }

    /// Removes an app's files (and objects).
    public func removeApp(_ scope: Scope, appId: String) async {
        await self.unshare(scope, appId: appId, branchName: nil)
        Self.remove(self.appFolder("compute-output", scope, appId: appId))
        for kind in Self.kinds {
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

    func folder(_ kind: String, _ key: JobKey) -> URL {
        self.appFolder(kind, key.scope, appId: key.appId)
            .appending(path: Self.segment(key.branchName), directoryHint: .isDirectory)
            .appending(path: String(key.jobId), directoryHint: .isDirectory)
    }

    /// A name as one path segment: every byte but ASCII letters, digits, `-`, `_` and `.` percent-encoded;
    /// never empty, `.` or `..`.
    public static func segment(_ name: String) -> String {
        if name.isEmpty || name == "." || name == ".." {
            return String(repeating: "%2E", count: name.count) + "%00"
        }
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(name.utf8.count)
        for byte in name.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                bytes.append(byte)
            default:
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
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
