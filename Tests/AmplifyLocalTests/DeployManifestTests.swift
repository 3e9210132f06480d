import AmplifyCore
import Foundation
import Testing

@testable import AmplifyBuilds

/// Amplify's deployment specification, read and checked.
@Suite struct DeployManifestTests {
    func manifest(_ json: String) throws(DeployManifest.Invalid) -> DeployManifest {
        try DeployManifest(json: Data(json.utf8))
    }

    static let valid = """
        {"version": 1, "framework": {"name": "nuxt", "version": "3.12.4"},
         "routes": [
           {"path": "/_nuxt/*", "target": {"kind": "Static", "cacheControl": "public, max-age=31536000, immutable"}},
           {"path": "/*.*", "target": {"kind": "Static"}, "fallback": {"kind": "Compute", "src": "default"}},
           {"path": "/_next/image", "target": {"kind": "ImageOptimization"}},
           {"path": "/*", "target": {"kind": "Compute", "src": "default"}}],
         "computeResources": [{"name": "default", "runtime": "nodejs20.x", "entrypoint": "server.js"}],
         "imageSettings": {"sizes": [640, 1080], "domains": [], "formats": ["image/webp"], "minimumCacheTTL": 60, "dangerouslyAllowSVG": false}}
        """

    @Test func routesMatchInOrderWithStarAsTheOnlyWildcard() throws {
        let manifest = try manifest(Self.valid)
        #expect(manifest.frameworkName == "nuxt" && manifest.computeResources.first?.entrypoint == "server.js")
        #expect(manifest.route(for: "/_nuxt/app.js")?.target.cacheControl == "public, max-age=31536000, immutable")
        #expect(manifest.route(for: "/favicon.ico")?.path == "/*.*")
        #expect(manifest.route(for: "/favicon.ico")?.fallback?.kind == .compute)
        #expect(manifest.route(for: "/_next/image")?.target.kind == .imageOptimization)
        #expect(manifest.route(for: "/about")?.target.kind == .compute)
        #expect(manifest.route(for: "/")?.path == "/*")
        #expect(DeployManifest.Route(path: "/a/*/c", target: .init(kind: .staticFiles)).matches("/a/b/x/c"))
        #expect(!DeployManifest.Route(path: "/a/*/c", target: .init(kind: .staticFiles)).matches("/a/b/x/d"))
    }

    @Test(arguments: [
        (#"[1]"#, "not a JSON object"),
        (#"{"version": 2}"#, "version must be 1"),
        (#"{"version": 1, "routes": [{"path": "/*", "target": {"kind": "Static"}}]}"#, "framework must be an object"),
        (#"{"version": 1, "framework": {"name": "x", "version": "3.x"}, "routes": [{"path": "/*", "target": {"kind": "Static"}}]}"#, "not a valid semver"),
        (#"{"version": 1, "framework": {"name": "x", "version": "1.0.0"}, "routes": []}"#, "at least one route"),
        (#"{"version": 1, "framework": {"name": "x", "version": "1.0.0"}, "routes": [{"path": "/a", "target": {"kind": "Static"}}]}"#, "catch-all /*"),
        (#"{"version": 1, "framework": {"name": "x", "version": "1.0.0"}, "routes": [{"path": "/*", "target": "compute"}]}"#, "routes[0].target must be an object"),
        (#"{"version": 1, "framework": {"name": "x", "version": "1.0.0"}, "routes": [{"path": "/*", "target": {"kind": "Lambda"}}]}"#, "kind Lambda is not"),
        (#"{"version": 1, "framework": {"name": "x", "version": "1.0.0"}, "routes": [{"path": "/*", "target": {"kind": "Compute", "src": "default"}}]}"#, "src default is not a compute resource"),
        (#"{"version": 1, "framework": {"name": "x", "version": "1.0.0"}, "routes": [{"path": "/*", "target": {"kind": "Static"}}], "computeResources": [{"name": "api", "runtime": "nodejs20.x", "entrypoint": "s.js"}]}"#, "only compute resource name supported is default"),
        (#"{"version": 1, "framework": {"name": "x", "version": "1.0.0"}, "routes": [{"path": "/*", "target": {"kind": "Static"}}], "computeResources": [{"name": "default", "runtime": "nodejs12.x", "entrypoint": "s.js"}]}"#, "runtime nodejs12.x is not one of"),
        (#"{"version": 1, "framework": {"name": "x", "version": "1.0.0"}, "routes": [{"path": "/*", "target": {"kind": "Static"}}], "computeResources": [{"name": "default", "runtime": "nodejs20.x", "entrypoint": "../s.js"}]}"#, "must be a file inside compute/default/"),
        (#"{"version": 1, "framework": {"name": "x", "version": "1.0.0"}, "routes": [{"path": "/*", "target": {"kind": "Compute", "src": "default"}, "fallback": {"kind": "Static"}}], "computeResources": [{"name": "default", "runtime": "nodejs20.x", "entrypoint": "s.js"}]}"#, "only used behind a Static target"),
        (#"{"version": 1, "framework": {"name": "x", "version": "1.0.0"}, "routes": [{"path": "a*", "target": {"kind": "Static"}}, {"path": "/*", "target": {"kind": "Static"}}]}"#, "must start with /"),
    ])
    func invalidManifestsSayWhatIsWrong(json: String, problem: String) {
        do {
            _ = try manifest(json)
            Issue.record("accepted: \(json)")
        } catch {
            #expect(error.description.hasPrefix("We failed to validate the deploy-manifest.json file found in your build output directory. "))
            #expect(error.description.contains(problem), "\(error.description)")
        }
    }

    @Test func atMost25Routes() {
        let routes = (0..<26).map { #"{"path": "/r\#($0)", "target": {"kind": "Static"}}"# } + [#"{"path": "/*", "target": {"kind": "Static"}}"#]
        let json = #"{"version": 1, "framework": {"name": "x", "version": "1.0.0"}, "routes": [\#(routes.joined(separator: ","))]}"#
        #expect(throws: DeployManifest.Invalid.self) { try manifest(json) }
    }

    @Test func zipLinksMustStayInside() {
        func inside(_ link: String, _ target: String) -> Bool { ContainedPath.target(ofLinkAt: link, target, link: { _ in nil }) != nil }
        #expect(inside("static/alias.css", "assets/site.css"))
        #expect(inside("node_modules/.bin/next", "../next/dist/bin/next"))
        #expect(!inside("static/alias.css", "../../etc/passwd"))
        #expect(!inside("a", "/etc/passwd"))
        #expect(!inside("a/b/c", "../../../x"))
    }
}
