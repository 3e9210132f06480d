@testable import AmplifyBuilds
import AmplifyCore
import Foundation
import Testing

/// Where file:// sources may be read from (`--deploy-from`), and how links inside a site or a build's output are
/// resolved: both on real folders with real symbolic links.
@Suite struct SourceFoldersTests {
    /// A fresh folder with `allowed/`, `data/` inside it and `outside/` beside it.
    private func folders() throws -> (root: String, allowed: String, data: String, outside: String) {
        let root = FileManager.default.temporaryDirectory.appending(path: "amplify-local-sources-\(UUID().uuidString)").path
        let (allowed, outside) = (root + "/allowed", root + "/outside")
        let data = allowed + "/.amplify-local"
        for folder in [allowed, data, outside, allowed + "/site"] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        return (SourceFolders.resolve(root, base: "/"), SourceFolders.resolve(allowed, base: "/"), SourceFolders.resolve(data, base: "/"), SourceFolders.resolve(outside, base: "/"))
    }

    private func isAllowed(_ decision: SourceFolders.Decision) -> Bool {
        if case .allowed = decision { return true }
        return false
    }

    private func reason(_ decision: SourceFolders.Decision) -> String {
        if case .refused(let reason) = decision { return reason }
        return ""
    }

    @Test func onlyInsideAnAllowedFolderAndNeverTheDataFolder() throws {
        let (root, allowed, data, outside) = try self.folders()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let sources = SourceFolders(allowed: [allowed], protected: [data])
        #expect(sources.check(allowed + "/site", as: "x") == .allowed(allowed + "/site"))
        #expect(self.isAllowed(sources.check(allowed + "/not-yet/site.zip", as: "x")))
        #expect(!self.isAllowed(sources.check(outside, as: "x")))
        #expect(!self.isAllowed(sources.check("/etc", as: "x")))
        #expect(!self.isAllowed(sources.check(allowed + "/../outside", as: "x")))
        #expect(self.reason(sources.check("/etc", as: "The sourceUrl file:///etc")).contains("--deploy-from"))
        #expect(self.reason(sources.check("/etc", as: "The sourceUrl file:///etc")).hasPrefix("The sourceUrl file:///etc is outside"))
        // The data folder, inside the allowed one: never; and a folder copied whole may not hold it.
        #expect(self.reason(sources.check(data + "/url-signing.key", as: "x")).contains("data folder"))
        #expect(!self.isAllowed(sources.check(data, as: "x")))
        #expect(self.isAllowed(sources.check(allowed, as: "x")))
        #expect(!self.isAllowed(sources.check(allowed, as: "x", holdingAllowed: false)))
        // Relative paths are taken from the base (the server's working folder).
        #expect(sources.check("./site", as: "x", base: allowed) == .allowed(allowed + "/site"))
        #expect(!self.isAllowed(sources.check("../outside", as: "x", base: allowed)))
        // None allowed: nothing is.
        #expect(!self.isAllowed(SourceFolders(allowed: []).check(allowed + "/site", as: "x")))
    }

    @Test func linksAreResolvedBeforeTheCheck() throws {
        let (root, allowed, data, outside) = try self.folders()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let sources = SourceFolders(allowed: [allowed], protected: [data])
        try FileManager.default.createSymbolicLink(atPath: allowed + "/etc", withDestinationPath: "/etc")
        try FileManager.default.createSymbolicLink(atPath: allowed + "/out", withDestinationPath: "../outside")
        try FileManager.default.createSymbolicLink(atPath: allowed + "/state", withDestinationPath: ".amplify-local")
        try FileManager.default.createSymbolicLink(atPath: allowed + "/b", withDestinationPath: ".")
        let etc = sources.check(allowed + "/etc", as: "The sourceUrl file://\(allowed)/etc")
        #expect(self.reason(etc).contains("(/etc)"))
        #expect(!self.isAllowed(sources.check(allowed + "/out/x.zip", as: "x")))
        #expect(!self.isAllowed(sources.check(allowed + "/state/url-signing.key", as: "x")))
        #expect(!self.isAllowed(sources.check(allowed + "/b/b/../outside", as: "x")))
        #expect(sources.check(allowed + "/b/b/site", as: "x") == .allowed(allowed + "/site"))
        // An allowed folder named through a link is the folder it names.
        try FileManager.default.createSymbolicLink(atPath: root + "/alias", withDestinationPath: "allowed")
        #expect(SourceFolders(allowed: [root + "/alias"]).check(allowed + "/site", as: "x") == .allowed(allowed + "/site"))
        _ = outside
    }

    @Test func theDefaultIsTheWorkingFolderUnlessItIsTheRootOrHome() {
        #expect(SourceFolders.defaultFolders(workingDirectory: "/srv/work", home: "/home/dev") == ["/srv/work"])
        #expect(SourceFolders.defaultFolders(workingDirectory: "/", home: "/home/dev") == [])
        #expect(SourceFolders.defaultFolders(workingDirectory: "/home/dev", home: "/home/dev") == [])
        #expect(SourceFolders.defaultFolders(workingDirectory: "/home/dev/site", home: "/home/dev") == ["/home/dev/site"])
    }

    @Test func repositoriesOnThisMachineHaveAPath() {
        #expect(RepositoryLocation.localPath("/srv/site") == "/srv/site")
        #expect(RepositoryLocation.localPath("./site", base: "/srv") == "/srv/site")
        #expect(RepositoryLocation.localPath("file:///srv/site") == "/srv/site")
        #expect(RepositoryLocation.localPath("file://localhost/srv/site") == "/srv/site")
        #expect(RepositoryLocation.localPath("file://etc/passwd") == "//etc/passwd")
        #expect(RepositoryLocation.localPath("https://github.com/x/y") == nil)
    }

    @Test func linkChainsAreFollowedAsTheKernelFollowsThem() {
        let links = ["b": ".", "up": "b/b/../..", "static/b": ".", "loop": "loop", "a": "c", "c": "a", "abs": "/etc", "sub/l": "../x"]
        func resolve(_ path: String) -> [String]? { ContainedPath.resolve(path, link: { links[$0] }) }
        #expect(resolve("b/b/index.html") == ["index.html"])
        #expect(resolve("up") == nil)  // spelled inside (b/b/../.. is "."), it is the folder's parent
        #expect(resolve("up/etc/passwd") == nil)
        #expect(resolve("static/b/b/../x") == ["x"])
        #expect(resolve("static/b/b/..") == [])
        #expect(resolve("static/b/b/../..") == nil)  // spelled as `static`, it is the folder's parent
        #expect(resolve("loop") == nil && resolve("a") == nil)
        #expect(resolve("abs/passwd") == nil)
        #expect(resolve("sub/l") == ["x"])
        #expect(resolve("sub/../x") == ["x"])
        #expect(ContainedPath.resolve("up", followingLast: false, link: { links[$0] }) == ["up"])
        #expect(ContainedPath.target(ofLinkAt: "up", "b/b/../..", link: { links[$0] }) == nil)
        #expect(ContainedPath.target(ofLinkAt: "static/alias", "b/b/../index.html", link: { links[$0] }) == ["index.html"])
        // Ten `b`s and ten `..`s: spelled as the folder itself, it is ten levels above it.
        let deep = String(repeating: "b/", count: 10) + String(repeating: "../", count: 10) + "etc/passwd"
        #expect(ContainedPath.target(ofLinkAt: "passwd", deep, link: { links[$0] }) == nil)
    }

    @Test func linksOnDiskOutOfABuildOutputAreRefused() throws {
        let (root, allowed, _, outside) = try self.folders()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let repository = URL(fileURLWithPath: allowed + "/site")
        try FileManager.default.createDirectory(atPath: allowed + "/site/dist", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: allowed + "/site/b", withDestinationPath: ".")
        try FileManager.default.createSymbolicLink(atPath: allowed + "/site/out", withDestinationPath: outside)
        try FileManager.default.createSymbolicLink(atPath: allowed + "/site/up", withDestinationPath: "b/b/../..")
        #expect(try ArtifactCollector.baseFolder("./dist", in: repository).path == allowed + "/site/dist")
        #expect(try ArtifactCollector.baseFolder("b/b/dist", in: repository).path == allowed + "/site/dist")
        #expect(throws: JobProgress.Interruption.self) { try ArtifactCollector.baseFolder("out", in: repository) }
        #expect(throws: JobProgress.Interruption.self) { try ArtifactCollector.baseFolder("up/outside", in: repository) }
        let links = ContainedPath.links(under: allowed + "/site")
        #expect(links("b") == "." && links("dist") == nil && links("missing") == nil)
        #expect(ContainedPath.target(ofLinkAt: "up", "b/b/../..", link: links) == nil)
    }

    @Test func siteFoldersStayUnderTheRootWhateverTheNames() {
        let files = SiteFiles(root: URL(fileURLWithPath: "/data"))
        for name in ["..", ".", "../../etc", "a/../../b", "", "%2e%2e", "x\0y"] {
            let key = JobKey(scope: Scope(account: name, region: name), appId: name, branchName: name, jobId: 1)
            let parts = files.sitePath(key).split(separator: "/", omittingEmptySubsequences: false).dropFirst(2)
            #expect(files.sitePath(key).hasPrefix("/data/artifacts/"))
            #expect(!parts.contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }), "\(name)")
            #expect(files.uploads(key).standardizedFileURL.path.hasPrefix("/data/uploads/"))
        }
    }
}
