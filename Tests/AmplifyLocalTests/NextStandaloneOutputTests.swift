import AmplifyCore
import Foundation
import Testing

@testable import AmplifyBuilds

/// A Next.js build's `.next` read as Amplify reads it, and made into the deployment specification.
@Suite struct NextStandaloneOutputTests {
    /// A new app folder holding `files` ({path under the app: text}); returns its `.next`.
    func app(_ files: [String: String]) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appending(path: "next-\(UUID().uuidString)", directoryHint: .isDirectory)
        for (path, text) in files {
            let file = folder.appending(path: path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: file, atomically: true, encoding: .utf8)
        }
        return folder.appending(path: ".next", directoryHint: .isDirectory)
    }

    func serverFiles(_ config: [String: Any] = [:], relativeAppDir: String = "") throws -> String {
        let object: [String: Any] = ["version": 1, "config": ["distDir": ".next", "basePath": ""].merging(config) { $1 }, "relativeAppDir": relativeAppDir, "files": [], "ignore": []]
        return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    static let nextPackage = #"{"name": "next", "version": "15.5.4"}"#

    func server(_ next: URL) throws -> NextStandaloneOutput {
        guard case .server(let output) = try NextStandaloneOutput.inspect(next, named: ".next") else {
            throw NextStandaloneOutput.Refused(message: "not a server build")
        }
        return output
    }

    func refusal(_ next: URL) -> String? {
        do {
            _ = try NextStandaloneOutput.inspect(next, named: ".next")
            return nil
        } catch {
            return error.message
        }
    }

    @Test func theGeneratedManifestValidatesAndRoutesAsNextDoes() throws {
        let next = try app([
            ".next/required-server-files.json": try serverFiles([
                "images": ["deviceSizes": [640, 1080], "imageSizes": [32, 640], "formats": ["image/avif", "image/webp"], "minimumCacheTTL": 120,
                           "remotePatterns": [["protocol": "https", "hostname": "**.example.com"]], "domains": ["cdn.example.com"]]
            ]),
            ".next/standalone/server.js": "require('next')", ".next/standalone/node_modules/next/package.json": Self.nextPackage,
        ])
        let output = try server(next)
        #expect(output.entrypoint == "server.js" && output.nextVersion == "15.5.4")
        let manifest = try DeployManifest(json: output.manifestJSON())
        #expect(manifest.frameworkName == "Next.js" && manifest.frameworkVersion == "15.5.4")
        #expect(manifest.imageSettings?.sizes == [640, 1080, 32] && manifest.imageSettings?.formats == ["image/avif", "image/webp"])
        #expect(manifest.imageSettings?.minimumCacheTTL == 120 && manifest.imageSettings?.domains == ["cdn.example.com"])
        #expect(manifest.route(for: "/_next/image")?.target.kind == .imageOptimization)
        #expect(manifest.route(for: "/_next/static/chunks/main-1a2b.js")?.target.cacheControl == NextStandaloneOutput.immutable)
        #expect(manifest.route(for: "/robots.txt")?.fallback?.src == "default")
        #expect(manifest.route(for: "/blog/post")?.target.kind == .compute)
    }

    @Test func aBasePathPrefixesTheRoutesAndAnUnoptimizedAppHasNoImageRoute() throws {
        let next = try app([
            ".next/required-server-files.json": try serverFiles(["basePath": "/docs", "images": ["unoptimized": true]]),
            ".next/standalone/server.js": "", ".next/standalone/node_modules/next/package.json": Self.nextPackage,
        ])
        let output = try server(next)
        #expect(output.images == nil)
        #expect(output.routes.map(\.path) == ["/docs/_next/static/*", "/*.*", "/*"])
        #expect(try DeployManifest(json: output.manifestJSON()).imageSettings == nil)
    }

    @Test func aMonorepoAppsServerIsUnderRelativeAppDirAndNextIsFoundAboveIt() throws {
        let next = try app([
            ".next/required-server-files.json": try serverFiles(relativeAppDir: "apps/web"),
            ".next/standalone/apps/web/server.js": "", ".next/standalone/node_modules/next/package.json": Self.nextPackage,
        ])
        let output = try server(next)
        #expect(output.entrypoint == "apps/web/server.js" && output.relativeAppDir == "apps/web")
        #expect(try DeployManifest(json: output.manifestJSON()).computeResources.first?.entrypoint == "apps/web/server.js")
    }

    @Test func whatAmplifyCannotDeployIsRefusedInItsWords() throws {
        #expect(refusal(try app([".next/BUILD_ID": "x"])) == "Can't find required-server-files.json in build output directory")
        #expect(refusal(try app([".next/required-server-files.json": try serverFiles()]))?.hasPrefix("Standalone directory not found in .next/standalone.") == true)
        let noServer = try app([".next/required-server-files.json": try serverFiles(), ".next/standalone/package.json": "{}"])
        #expect(refusal(noServer)?.hasPrefix("The standalone directory .next/standalone is missing a server.js file") == true)
        let noNext = try app([".next/required-server-files.json": try serverFiles(), ".next/standalone/server.js": ""])
        #expect(refusal(noNext)?.hasPrefix("The 'node_modules' folder is missing the 'next' dependency.") == true)
        let outside = try app([".next/required-server-files.json": try serverFiles(relativeAppDir: "../elsewhere"), ".next/standalone/server.js": ""])
        #expect(refusal(outside)?.contains("relativeAppDir ../elsewhere must be a folder inside the standalone directory") == true)
        #expect(refusal(try app([".next/required-server-files.json": "[1]"]))?.contains("is not the JSON object next build writes") == true)
    }

    @Test func aStaticExportIsTheOutFolder() throws {
        let exported = try app([".next/BUILD_ID": "x", "out/index.html": "<h1>x</h1>"])
        guard case .staticExport(let folder) = try NextStandaloneOutput.inspect(exported, named: ".next") else {
            Issue.record("not a static export")
            return
        }
        #expect(folder.lastPathComponent == "out")
        let declared = try app([".next/required-server-files.json": try serverFiles(["output": "export"]), "out/index.html": ""])
        guard case .staticExport = try NextStandaloneOutput.inspect(declared, named: ".next") else {
            Issue.record("output: 'export' is not a static export")
            return
        }
    }

    @Test func theVariableIsForComputeAppsWithNextOutput() {
        #expect(NextStandaloneOutput.wantsStandalone(platform: .webCompute, baseDirectory: ".next", detected: nil))
        #expect(NextStandaloneOutput.wantsStandalone(platform: .webCompute, baseDirectory: "apps/web/.next/", detected: nil))
        #expect(NextStandaloneOutput.wantsStandalone(platform: .webCompute, baseDirectory: nil, detected: "Next.js - SSR"))
        #expect(!NextStandaloneOutput.wantsStandalone(platform: .web, baseDirectory: ".next", detected: nil))
        #expect(!NextStandaloneOutput.wantsStandalone(platform: .webCompute, baseDirectory: "out", detected: nil))
    }

    @Test func aNextServersCacheFoldersAreWritableButNotThroughALink() throws {
        let site = FileManager.default.temporaryDirectory.appending(path: "site-\(UUID().uuidString)", directoryHint: .isDirectory)
        let server = site.appending(path: "compute/default", directoryHint: .isDirectory)
        for folder in [".next/cache", ".next/server/app", "elsewhere"] {
            try FileManager.default.createDirectory(at: server.appending(path: folder), withIntermediateDirectories: true)
        }
        try "{}".write(to: server.appending(path: ".next/required-server-files.json"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: server.appending(path: ".next/server/pages").path, withDestinationPath: "../../elsewhere")
        let key = JobKey(scope: Scope(account: "123456789012", region: "us-east-1"), appId: "d1", branchName: "main", jobId: 1)
        let deployment = ComputeDeployment(key: key, folder: site.path, resource: .init(name: "default", runtime: "nodejs20.x", entrypoint: "server.js"))
        #expect(deployment.writableFolders == [server.path + "/.next/cache", server.path + "/.next/server/app"])
        let other = ComputeDeployment(key: key, folder: site.path, resource: .init(name: "default", runtime: "nodejs20.x", entrypoint: "index.js"))
        #expect(other.writableFolders.isEmpty)
    }
}
