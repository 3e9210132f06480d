import AmplifyCore
import Foundation

/// A Next.js server build (`next build` with standalone output, which `NEXT_PRIVATE_STANDALONE` turns on) made into
/// Amplify's deployment specification, as Amplify Hosting's own Next.js support does for a WEB_COMPUTE app whose
/// artifacts are `.next` and that brings no `deploy-manifest.json` of its own:
///
/// - `compute/default/` is `.next/standalone` whole (its links that stay inside kept), its entrypoint the `server.js`
///   under `standalone/<relativeAppDir>` (`required-server-files.json`'s; `apps/web` in a monorepo), with the app's
///   `public/` beside it (Next's server serves it, as the compute bundle AWS describes holds it) and an empty
///   `.next/cache`;
/// - `static/_next/static/` is `.next/static` (served `immutable`), `static/` the app's `public/` files;
/// - `deploy-manifest.json`: `/_next/image` through image optimization (the sizes and formats of the build's
///   `images` config), `/_next/static/*` static, `/*.*` static with the compute behind it, `/*` the compute.
///
/// A build whose `.next` has no server output but whose app folder has a static export (`out/`) is that export.
struct NextStandaloneOutput: Sendable {
    /// Why the output cannot be deployed: AWS's words where AWS has them (logged after `!!! CustomerError: `).
    struct Refused: Error {
        var message: String
    }

    /// What a build's `.next` holds.
    enum Output: Sendable {
        /// A server build with its standalone output.
        case server(NextStandaloneOutput)
        /// No server output: a static export (`output: 'export'`) in this folder, deployed as static files.
        case staticExport(URL)
    }

    /// The variable that makes `next build` write `.next/standalone` (any non-empty value).
    static let variable = "NEXT_PRIVATE_STANDALONE"
    /// Amplify's line when it sets it.
    static let settingLine = "Setting NEXT_PRIVATE_STANDALONE=true to produce .next/standalone directory"
    /// The framework a branch is given.
    static let framework = "Next.js - SSR"
    static let exportFramework = "Next.js - SSG"
    /// What Next.js itself answers `/_next/static` with in production (router-server.ts).
    static let immutable = "public, max-age=31536000, immutable"
    static let manifestFile = "required-server-files.json"

    /// The app's folder (holding `.next`, `public/`, `package.json`).
    let appFolder: URL
    /// The build output, `.next`.
    let nextFolder: URL
    /// The artifacts' name for the log (`.next`, `apps/web/.next`).
    let name: String
    /// The app's folder inside `standalone/` (`""`, `apps/web`).
    let relativeAppDir: String
    let basePath: String
    let nextVersion: String
    /// Next's image settings, nil when its optimizer is not used (`images.unoptimized`, a custom `loader`).
    let images: Images?

    /// `config.images` of `required-server-files.json`, as the deployment specification's `imageSettings` takes it.
    struct Images: Sendable {
        var path: String
        var sizes: [Int]
        var formats: [String]
        var minimumCacheTTL: Int
        var dangerouslyAllowSVG: Bool
        var domains: [String]
        /// As Next's config has them (globs, not the regular expressions of images-manifest.json), JSON.
        var remotePatterns: [Data]
    }

    /// Whether a build should get `NEXT_PRIVATE_STANDALONE`: a compute app whose artifacts are `.next`, or whose
    /// framework was detected as Next.js SSR.
    static func wantsStandalone(platform: Platform, baseDirectory: String?, detected: String?) -> Bool {
        guard platform != .web else { return false }
        return detected == Self.framework || baseDirectory.map(Self.isNextFolder) == true
    }

    /// Whether an artifacts folder is a Next.js build output (its last part is `.next`).
    static func isNextFolder(_ baseDirectory: String) -> Bool {
        baseDirectory.split(separator: "/").last { $0 != "." } == ".next"
    }

    /// Whether the app in `folder` depends on Next.js (its `package.json`).
    static func isNextApp(_ folder: URL) -> Bool {
        guard let data = FileManager.default.contents(atPath: folder.appending(path: "package.json").path),
            let package = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { return false }
        return ["dependencies", "devDependencies"].contains { (package[$0] as? [String: Any])?["next"] != nil }
    }

    /// Reads the build output in `nextFolder` (`name` for messages): a server build whose standalone output is there,
    /// or a static export; throws why it is neither, in AWS's words.
    static func inspect(_ nextFolder: URL, named name: String) throws(Refused) -> Output {
        let manager = FileManager.default
        let appFolder = nextFolder.deletingLastPathComponent()
        let exportFolder = appFolder.appending(path: "out", directoryHint: .isDirectory)
        guard let data = manager.contents(atPath: nextFolder.appending(path: Self.manifestFile).path) else {
            // `next build` of an `output: 'export'` app writes `out/` and no server files.
            if RealBuild.isDirectory(exportFolder) { return .staticExport(exportFolder) }
            throw Refused(message: "Can't find required-server-files.json in build output directory")
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], let config = root["config"] as? [String: Any] else {
            throw Refused(message: "\(name)/\(Self.manifestFile) is not the JSON object next build writes (with a config object).")
        }
        if config["output"] as? String == "export" {
            guard RealBuild.isDirectory(exportFolder) else {
                throw Refused(message: "\(name)/\(Self.manifestFile) says output: 'export', but the build made no out/ folder.")
            }
            return .staticExport(exportFolder)
        }
        let relativeAppDir = try Self.relativeAppDir(root["relativeAppDir"], name: name)
        let standalone = nextFolder.appending(path: "standalone", directoryHint: .isDirectory)
        guard RealBuild.isDirectory(standalone) else {
            throw Refused(
                message: "Standalone directory not found in \(name)/standalone. Please enable output standalone on your next.config.js file or set NEXT_PRIVATE_STANDALONE=true."
            )
        }
        let serverDirectory = relativeAppDir.isEmpty ? standalone : standalone.appending(path: relativeAppDir, directoryHint: .isDirectory)
        guard Self.isRegularFile(serverDirectory.appending(path: "server.js")) else {
            let at = "\(name)/standalone" + (relativeAppDir.isEmpty ? "" : "/\(relativeAppDir)")
            throw Refused(
                message: "The standalone directory \(name)/standalone is missing a server.js file (looked for \(at)/server.js, as relativeAppDir in \(Self.manifestFile) says). Please enable output: 'standalone' in your next.config.js file or set NEXT_PRIVATE_STANDALONE=true."
            )
        }
        let version = try Self.nextVersion(from: serverDirectory, standalone: standalone)
        let basePath = config["basePath"] as? String ?? ""
        guard basePath.isEmpty || (basePath.hasPrefix("/") && !basePath.hasSuffix("/") && Self.isSafe(String(basePath.dropFirst()))) else {
            throw Refused(message: "\(name)/\(Self.manifestFile) has a basePath (\(basePath)) that is not a path such as /docs.")
        }
        return .server(
            NextStandaloneOutput(
                appFolder: appFolder, nextFolder: nextFolder, name: name, relativeAppDir: relativeAppDir, basePath: basePath, nextVersion: version,
                images: try Self.images(config["images"], basePath: basePath, name: name)
            )
        )
    }

    /// `relativeAppDir`: the app's folder inside `standalone/` (Next writes `path.relative(outputFileTracingRoot, dir)`).
    private static func relativeAppDir(_ value: Any?, name: String) throws(Refused) -> String {
        guard let value else { return "" }
        guard let text = value as? String else { throw Refused(message: "\(name)/\(Self.manifestFile): relativeAppDir must be a string.") }
        let parts = text.split(separator: "/").filter { $0 != "." }.map(String.init)
        guard parts.allSatisfy({ $0 != ".." }), !text.hasPrefix("/") else {
            throw Refused(message: "\(name)/\(Self.manifestFile): relativeAppDir \(text) must be a folder inside the standalone directory.")
        }
        return parts.joined(separator: "/")
    }

    /// The version of the `next` that `server.js` requires: the `next/package.json` Node finds from its folder
    /// (`node_modules` there, then in each folder above it, up to `standalone/`).
    private static func nextVersion(from serverDirectory: URL, standalone: URL) throws(Refused) -> String {
        var folder = serverDirectory.standardizedFileURL
        let top = standalone.standardizedFileURL.path
        while true {
            let package = folder.appending(path: "node_modules/next/package.json")
            if let data = FileManager.default.contents(atPath: package.path) {
                guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], let version = object["version"] as? String else {
                    throw Refused(message: "\(package.path.dropFirst(top.count + 1)) in the standalone directory has no version.")
                }
                return version
            }
            guard folder.path != top, folder.path.hasPrefix(top) else { break }
            folder = folder.deletingLastPathComponent()
        }
        // Amplify's words, its missing space included.
        throw Refused(
            message: "The 'node_modules' folder is missing the 'next' dependency. This is required at runtime to run your application. If you are using a monorepo framework, you may need to do additionalsetup to ensure the necessary runtime dependencies are included in the build output directory"
        )
    }

    /// `config.images`; nil when Next's optimizer is off (`unoptimized`, a custom loader, a path that is not one of the site).
    private static func images(_ value: Any?, basePath: String, name: String) throws(Refused) -> Images? {
        let images = value as? [String: Any] ?? [:]
        if images["unoptimized"] as? Bool == true { return nil }
        if let loader = images["loader"] as? String, loader != "default" { return nil }
        let path = images["path"] as? String ?? basePath + "/_next/image"
        guard path.hasPrefix("/"), !path.hasPrefix("//"), !path.contains("?"), !path.contains("*"), !path.contains(where: \.isWhitespace) else {
            return nil
        }
        func numbers(_ key: String, _ defaults: [Int]) -> [Int] {
            (images[key] as? [Any])?.compactMap { ($0 as? NSNumber)?.intValue }.filter { $0 > 0 } ?? defaults
        }
        var sizes: [Int] = []
        for size in numbers("deviceSizes", [640, 750, 828, 1080, 1200, 1920, 2048, 3840]) + numbers("imageSizes", [16, 32, 48, 64, 96, 128, 256, 384])
        where !sizes.contains(size) {
            sizes.append(size)
        }
        // Next takes image/avif and image/webp only; the deployment specification a few more.
        let allowed: Set<String> = ["image/avif", "image/webp", "image/gif", "image/png", "image/jpeg"]
        let formats = (images["formats"] as? [Any])?.compactMap { $0 as? String }.filter(allowed.contains) ?? ["image/webp"]
        var patterns: [Data] = []
        for pattern in images["remotePatterns"] as? [Any] ?? [] {
            guard let object = pattern as? [String: Any], let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
                throw Refused(message: "\(name)/\(Self.manifestFile): images.remotePatterns must be a list of objects.")
            }
            patterns.append(data)
        }
        return Images(
            path: path, sizes: sizes, formats: formats, minimumCacheTTL: (images["minimumCacheTTL"] as? NSNumber)?.intValue ?? 60,
            dangerouslyAllowSVG: images["dangerouslyAllowSVG"] as? Bool ?? false,
            domains: (images["domains"] as? [Any])?.compactMap { $0 as? String } ?? [], remotePatterns: patterns
        )
    }

    /// The compute's entrypoint, inside `compute/default/`.
    var entrypoint: String {
        self.relativeAppDir.isEmpty ? "server.js" : "\(self.relativeAppDir)/server.js"
    }

    /// The generated manifest's routes, in order.
    var routes: [DeployManifest.Route] {
        let compute = DeployManifest.Target(kind: .compute, src: "default")
        var routes: [DeployManifest.Route] = []
        if let images = self.images { routes.append(DeployManifest.Route(path: images.path, target: DeployManifest.Target(kind: .imageOptimization))) }
        routes.append(DeployManifest.Route(path: "\(self.basePath)/_next/static/*", target: DeployManifest.Target(kind: .staticFiles, cacheControl: Self.immutable)))
        routes.append(DeployManifest.Route(path: "/*.*", target: DeployManifest.Target(kind: .staticFiles), fallback: compute))
        routes.append(DeployManifest.Route(path: "/*", target: compute))
        return routes
    }

    /// `deploy-manifest.json`'s text.
    func manifestJSON() -> Data {
        func target(_ target: DeployManifest.Target) -> [String: Any] {
            var object: [String: Any] = ["kind": target.kind.rawValue]
            if let cacheControl = target.cacheControl { object["cacheControl"] = cacheControl }
            if let src = target.src { object["src"] = src }
            return object
        }
        var manifest: [String: Any] = [
            "version": 1,
            "framework": ["name": "Next.js", "version": self.nextVersion],
            "routes": self.routes.map { route -> [String: Any] in
                var object: [String: Any] = ["path": route.path, "target": target(route.target)]
                if let fallback = route.fallback { object["fallback"] = target(fallback) }
                return object
            },
            "computeResources": [["name": "default", "runtime": "nodejs20.x", "entrypoint": self.entrypoint]],
        ]
        if let images = self.images {
            manifest["imageSettings"] = [
                "sizes": images.sizes, "domains": images.domains, "formats": images.formats, "minimumCacheTTL": images.minimumCacheTTL,
                "dangerouslyAllowSVG": images.dangerouslyAllowSVG,
                "remotePatterns": images.remotePatterns.compactMap { try? JSONSerialization.jsonObject(with: $0) },
            ]
        }
        return (try? JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }

    /// Makes the deployment in `staging` (a new folder): the standalone output moved into `compute/default/` (the
    /// build's workspace goes when the build ends), `public/` copied beside its `server.js` and into `static/`,
    /// `.next/static` moved to `static/_next/static/`, and the manifest written.
    func assemble(into staging: URL) throws(Refused) {
        let manager = FileManager.default
        let compute = staging.appending(path: "compute/default", directoryHint: .isDirectory)
        let statics = staging.appending(path: "static" + self.basePath, directoryHint: .isDirectory)
        let server = self.relativeAppDir.isEmpty ? compute : compute.appending(path: self.relativeAppDir, directoryHint: .isDirectory)
        let publicFolder = self.appFolder.appending(path: "public", directoryHint: .isDirectory)
        do {
            try? manager.removeItem(at: staging)
            try manager.createDirectory(at: compute.deletingLastPathComponent(), withIntermediateDirectories: true)
            try manager.moveItem(at: self.nextFolder.appending(path: "standalone", directoryHint: .isDirectory), to: compute)
            try manager.createDirectory(at: statics, withIntermediateDirectories: true)
            if RealBuild.isDirectory(publicFolder) {
                try Self.copy(publicFolder.path, into: statics.path)
                // Next's server serves public/ itself (what the routes send to the compute: files without a dot).
                let beside = server.appending(path: "public", directoryHint: .isDirectory)
                if !manager.fileExists(atPath: beside.path) { try Self.copy(publicFolder.path, into: beside.path) }
            }
            let nextStatic = self.nextFolder.appending(path: "static", directoryHint: .isDirectory)
            if RealBuild.isDirectory(nextStatic) {
                let target = statics.appending(path: "_next/static", directoryHint: .isDirectory)
                try? manager.removeItem(at: target)
                try manager.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try manager.moveItem(at: nextStatic, to: target)
            }
            // Where Next keeps its data and image caches at runtime; the compute may write it (ComputeDeployment.writableFolders).
            try manager.createDirectory(at: server.appending(path: ".next/cache", directoryHint: .isDirectory), withIntermediateDirectories: true)
            try self.manifestJSON().write(to: staging.appending(path: DeployManifest.fileName))
        } catch {
            throw Refused(message: "The Next.js output in \(self.name) could not be made into a deployment: \(error.localizedDescription)")
        }
    }

    /// Copies the folder `source`'s files into `target` (made when missing), links as links (never what they point
    /// to: ComputeBundle then keeps those that stay inside the deployment and refuses the others).
    private static func copy(_ source: String, into target: String) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: target, withIntermediateDirectories: true)
        for (relative, attributes) in ComputeBundle.walk(source).sorted(by: { $0.0 < $1.0 }) {
            let from = source + "/" + relative
            let to = target + "/" + relative
            switch attributes[.type] as? FileAttributeType {
            case .typeDirectory?:
                try manager.createDirectory(atPath: to, withIntermediateDirectories: true)
            case .typeSymbolicLink?:
                try? manager.removeItem(atPath: to)
                try manager.createSymbolicLink(atPath: to, withDestinationPath: try manager.destinationOfSymbolicLink(atPath: from))
            case .typeRegular?:
                try? manager.removeItem(atPath: to)
                try manager.copyItem(atPath: from, toPath: to)
            default:
                continue
            }
        }
    }

    private static func isRegularFile(_ url: URL) -> Bool {
        (try? FileManager.default.attributesOfItem(atPath: url.path)[.type] as? FileAttributeType) == .typeRegular
    }

    /// A relative path of plain segments (no `.`, `..` or empty ones).
    private static func isSafe(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return !parts.isEmpty && parts.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." && !$0.contains(where: \.isWhitespace) }
    }
}
