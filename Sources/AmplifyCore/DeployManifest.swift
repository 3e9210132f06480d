import Foundation

/// Amplify Hosting's deployment specification (version 1): `deploy-manifest.json` of an SSR build's output
/// (`.amplify-hosting/`), with `static/` served at the site's root and `compute/<name>/` run as a Node.js server.
/// Read and checked whole, every rule AWS states; the routes answer which target serves a path.
public struct DeployManifest: Equatable, Sendable {
    public enum TargetKind: String, Sendable {
        case staticFiles = "Static"
        case imageOptimization = "ImageOptimization"
        case compute = "Compute"
    }

    public struct Target: Equatable, Sendable {
        public var kind: TargetKind
        public var cacheControl: String?
        /// The compute resource (`Compute` only).
        public var src: String?

        public init(kind: TargetKind, cacheControl: String? = nil, src: String? = nil) {
            self.kind = kind
            self.cacheControl = cacheControl
            self.src = src
        }
    }

    public struct Route: Equatable, Sendable {
        public var path: String
        public var target: Target
        /// Used when a `Static` target has no such file.
        public var fallback: Target?

        public init(path: String, target: Target, fallback: Target? = nil) {
            self.path = path
            self.target = target
            self.fallback = fallback
        }

        /// Whether `path` (a request's path without its query) matches the route's, where `*` is any run of characters.
        public func matches(_ requestPath: String) -> Bool {
            Wildcard.matches(pattern: Array(self.path.utf8), text: Array(requestPath.utf8))
        }
    }

    public struct ComputeResource: Equatable, Sendable {
        public var name: String
        public var runtime: String
        public var entrypoint: String

        public init(name: String, runtime: String, entrypoint: String) {
            self.name = name
            self.runtime = runtime
            self.entrypoint = entrypoint
        }
    }

    /// Why a manifest cannot be deployed; the message starts as AWS's does.
    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public var problem: String

        public init(problem: String) {
            self.problem = problem
        }

        public var description: String {
            "We failed to validate the deploy-manifest.json file found in your build output directory. \(self.problem)"
        }
    }

    public static let fileName = "deploy-manifest.json"
    public static let maxRoutes = 25
    public static let runtimes: Set<String> = ["nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x"]

    public var frameworkName: String
    public var frameworkVersion: String
    public var routes: [Route]
    public var computeResources: [ComputeResource]
    /// `imageSettings` as given (checked for its shape), for the image optimizer.
    public var imageSettings: ImageSettings?

    public struct ImageSettings: Equatable, Sendable {
        public var sizes: [Int]
        public var domains: [String]
        public var formats: [String]
        public var minimumCacheTTL: Int
        public var dangerouslyAllowSVG: Bool
    }

    /// The route that serves `path` (first match wins), nil for none.
    public func route(for path: String) -> Route? {
        self.routes.first { $0.matches(path) }
    }

    public init(json data: Data) throws(Invalid) {
        guard let object = try? JSONSerialization.jsonObject(with: data), let root = object as? [String: Any] else {
            throw Invalid(problem: "The file is not a JSON object.")
        }
        guard let version = root["version"] as? Int, version == 1 else {
            throw Invalid(problem: "version must be 1.")
        }
        guard let framework = root["framework"] as? [String: Any], let name = framework["name"] as? String, !name.isEmpty,
            let frameworkVersion = framework["version"] as? String
        else {
            throw Invalid(problem: "framework must be an object with a name and a version.")
        }
        guard frameworkVersion.range(of: #"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$"#, options: .regularExpression) != nil else {
            throw Invalid(problem: "framework.version \(frameworkVersion) is not a valid semver version (such as 1.2.3).")
        }
        self.frameworkName = name
        self.frameworkVersion = frameworkVersion
        self.computeResources = try Self.computeResources(root["computeResources"])
        let names = Set(self.computeResources.map(\.name))
        self.routes = try Self.routes(root["routes"], computeNames: names)
        self.imageSettings = try Self.imageSettings(root["imageSettings"])
    }

    private static func computeResources(_ value: Any?) throws(Invalid) -> [ComputeResource] {
        guard let value else { return [] }
        guard let list = value as? [Any] else { throw Invalid(problem: "computeResources must be a list.") }
        var resources: [ComputeResource] = []
        for (index, item) in list.enumerated() {
            let at = "computeResources[\(index)]"
            guard let item = item as? [String: Any], let name = item["name"] as? String, let runtime = item["runtime"] as? String,
                let entrypoint = item["entrypoint"] as? String
            else {
                throw Invalid(problem: "\(at) must have a name, a runtime and an entrypoint.")
            }
            guard name == "default" else {
                throw Invalid(problem: "\(at).name is \(name): the only compute resource name supported is default.")
            }
            guard Self.runtimes.contains(runtime) else {
                throw Invalid(problem: "\(at).runtime \(runtime) is not one of \(Self.runtimes.sorted().joined(separator: ", ")).")
            }
            let parts = entrypoint.split(separator: "/", omittingEmptySubsequences: false)
            guard !entrypoint.isEmpty, !entrypoint.hasPrefix("/"), !parts.contains(".."), !parts.contains("") else {
                throw Invalid(problem: "\(at).entrypoint \(entrypoint) must be a file inside compute/\(name)/.")
            }
            guard !resources.contains(where: { $0.name == name }) else { throw Invalid(problem: "\(at).name \(name) is listed twice.") }
            resources.append(ComputeResource(name: name, runtime: runtime, entrypoint: entrypoint))
        }
        return resources
    }

    private static func routes(_ value: Any?, computeNames: Set<String>) throws(Invalid) -> [Route] {
        guard let list = value as? [Any], !list.isEmpty else { throw Invalid(problem: "routes must be a list of at least one route.") }
        guard list.count <= Self.maxRoutes else {
            throw Invalid(problem: "routes has \(list.count) routes; at most \(Self.maxRoutes) are allowed.")
        }
        var routes: [Route] = []
        for (index, item) in list.enumerated() {
            let at = "routes[\(index)]"
            guard let item = item as? [String: Any], let path = item["path"] as? String else {
                throw Invalid(problem: "\(at) must have a path and a target.")
            }
            guard path.hasPrefix("/"), !path.contains("?"), !path.contains(where: \.isWhitespace) else {
                throw Invalid(problem: "\(at).path \(path) must start with / (only * is a wildcard; no query).")
            }
            let target = try Self.target(item["target"], at: "\(at).target", computeNames: computeNames)
            let fallback = try item["fallback"].map { value throws(Invalid) in try Self.target(value, at: "\(at).fallback", computeNames: computeNames) }
            if fallback != nil && target.kind != .staticFiles {
                throw Invalid(problem: "\(at).fallback is only used behind a Static target.")
            }
            routes.append(Route(path: path, target: target, fallback: fallback))
        }
        guard routes.last?.path == "/*" else {
            throw Invalid(problem: "The last route must be the catch-all /* (it is \(routes.last?.path ?? "missing")).")
        }
        return routes
    }

    private static func target(_ value: Any?, at: String, computeNames: Set<String>) throws(Invalid) -> Target {
        guard let object = value as? [String: Any], let kindName = object["kind"] as? String else {
            throw Invalid(problem: "\(at) must be an object with a kind (Static, ImageOptimization or Compute).")
        }
        guard let kind = TargetKind(rawValue: kindName) else {
            throw Invalid(problem: "\(at).kind \(kindName) is not Static, ImageOptimization or Compute.")
        }
        var target = Target(kind: kind)
        if let cacheControl = object["cacheControl"] {
            guard kind != .compute, let text = cacheControl as? String, !text.contains(where: \.isNewline) else {
                throw Invalid(problem: "\(at).cacheControl must be a header value, on a Static or ImageOptimization target.")
            }
            target.cacheControl = text
        }
        if kind == .compute {
            guard let src = object["src"] as? String else { throw Invalid(problem: "\(at).src must name a compute resource.") }
            guard computeNames.contains(src) else {
                throw Invalid(problem: "\(at).src \(src) is not a compute resource of computeResources.")
            }
            target.src = src
        }
        return target
    }

    private static func imageSettings(_ value: Any?) throws(Invalid) -> ImageSettings? {
        guard let value else { return nil }
        guard let object = value as? [String: Any] else { throw Invalid(problem: "imageSettings must be an object.") }
        func list<T>(_ name: String, _: T.Type) throws(Invalid) -> [T] {
            guard let raw = object[name] else { return [] }
            guard let items = raw as? [T] else { throw Invalid(problem: "imageSettings.\(name) must be a list.") }
            return items
        }
        let formats = try list("formats", String.self)
        let allowed: Set<String> = ["image/avif", "image/webp", "image/gif", "image/png", "image/jpeg"]
        if let bad = formats.first(where: { !allowed.contains($0) }) {
            throw Invalid(problem: "imageSettings.formats has \(bad); allowed are \(allowed.sorted().joined(separator: ", ")).")
        }
        let sizes = try list("sizes", Int.self)
        guard sizes.allSatisfy({ $0 > 0 }) else { throw Invalid(problem: "imageSettings.sizes must be positive widths.") }
        _ = try list("remotePatterns", [String: Any].self)
        return ImageSettings(
            sizes: sizes, domains: try list("domains", String.self), formats: formats,
            minimumCacheTTL: object["minimumCacheTTL"] as? Int ?? 60, dangerouslyAllowSVG: object["dangerouslyAllowSVG"] as? Bool ?? false
        )
    }
}
