import AmplifyCore
import Foundation

/// What a branch's site does with a request, without serving it: the custom rule that applies (or none), the
/// status, the target (the path served, or a redirect's location), the deployment's file that answers, the SSR
/// route that takes it, and the headers added. The console's rule tester and `POST /_amplify-local/explain` show
/// it; it resolves rules as serving does (`RuleOutcome`).
public struct SiteExplanation: Codable, Sendable, Equatable {
    public struct Rule: Codable, Sendable, Equatable {
        public var index: Int
        public var source: String
        public var target: String
        public var status: String?
    }

    public struct Route: Codable, Sendable, Equatable {
        public var path: String
        public var kind: String
    }

    public var rule: Rule?
    public var status: Int
    public var target: String
    /// The file of the live deployment that answers (relative to it), nil when none does (or a compute answers).
    public var file: String?
    /// The deployment specification's route that takes the request (SSR apps).
    public var route: Route?
    public var headers: [String: String]
    /// Why no file answers, or what else happens, in words.
    public var note: String?

    private enum CodingKeys: String, CodingKey {
        case rule, status, target, file, route, headers, note
    }

    /// Every member, `null` when it has no value (a script reads `rule: null` as "no rule matches").
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.rule, forKey: .rule)
        try container.encode(self.status, forKey: .status)
        try container.encode(self.target, forKey: .target)
        try container.encode(self.file, forKey: .file)
        try container.encode(self.route, forKey: .route)
        try container.encode(self.headers, forKey: .headers)
        try container.encode(self.note, forKey: .note)
    }

    /// What the site of an existing branch does with `path` (which starts with `/`) and request `headers`.
    public static func explain(
        _ store: any Store, _ scope: Scope, appId: String, branchName: String, path: String, headers: [String: String], files: SiteFiles
    ) async throws -> SiteExplanation {
        guard path.hasPrefix("/") else { throw AmplifyError.badRequest("path must start with /.") }
        let app = try await store.app(scope, appId: appId)
        let branch = try await store.branch(scope, appId: appId, branchName: branchName)
        let authorization = headers.first { $0.key.lowercased() == "authorization" }?.value
        // The files the site would serve, on this node too (with an object store).
        if let liveJobId = branch.liveJobId {
            try await files.fetch(JobKey(scope: scope, appId: appId, branchName: branchName, jobId: liveJobId), generation: branch.createTime)
        }
        return SiteExplanation(app: app, branch: branch, path: path, authorization: authorization, files: files)
    }

    /// `path` may carry a query; `authorization` is the request's `Authorization` header (basic auth).
    public init(app: App, branch: Branch, path rawPath: String, authorization: String?, files: SiteFiles) {
        let parts = rawPath.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0]).removingPercentEncoding ?? String(parts[0])
        let query = parts.count > 1 ? String(parts[1]) : nil
        (self.rule, self.status, self.target, self.file, self.route, self.headers, self.note) = (nil, 200, path, nil, nil, [:], nil)
        if BasicAuth(app: app, branch: branch).challenge(authorization) != nil {
            (self.status, self.note) = (401, "Basic auth is on: a request without these credentials gets 401.")
            return
        }
        guard let liveJobId = branch.liveJobId else {
            (self.status, self.note) = (404, "Nothing is deployed to branch \(branch.branchName) yet.")
            return
        }
        let live = JobKey(scope: app.scope, appId: app.appId, branchName: branch.branchName, jobId: liveJobId)
        let folder = files.sitePath(live)
        let manifest = app.platform == .web
            ? nil : FileManager.default.contents(atPath: folder + "/" + DeployManifest.fileName).flatMap { try? DeployManifest(json: $0) }
        let root = manifest == nil ? folder : folder + "/static"
        guard self.applyRules(of: app, path: path, query: query, root: root) else { return }
        let servedPath = String(self.target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0])
        guard let relative = self.findFile(servedPath, root: root, manifest: manifest) else { return }
        self.file = relative
        self.addHeaders(for: relative, of: live, app: app, branch: branch, files: files)
    }

    /// Resolves the app's custom rules as serving does (the rule, the status and target); false when the request ends
    /// there: a redirect, or a rewrite to another host.
    private mutating func applyRules(of app: App, path: String, query: String?, root: String) -> Bool {
        let outcome = RuleOutcome.resolve(
            path: path, query: query, rules: app.customRules.map(RedirectRule.init), exists: { SiteFileSystem.hasPage($0, in: root) }
        )
        // Said first, so that a later note on the same request adds to it.
        if !outcome.gaveUp.isEmpty {
            let rules = outcome.gaveUp.map { "rule \($0)" }.joined(separator: ", ")
            self.note = "The matching of \(rules) ran out of the request's budget (about \(RedirectRule.Budget.perRule * 10_000) steps of the "
                + "regular expression engine for a rule): taken as not matching."
        }
        self.rule = outcome.ruleIndex.map { index in
            let rule = app.customRules[index]
            return Rule(index: index, source: rule.source, target: rule.target, status: rule.status)
        }
        switch outcome.action {
        case .redirect(let status, let location):
            (self.status, self.target) = (status, location)
            return false
        case .offSite(let target):
            (self.status, self.target) = (502, target)
            self.add(note: "amplify-local serves rewrites to paths of the site, not to other hosts.")
            return false
        case .serve(let served, let status):
            (self.status, self.target) = (status, served)
            return true
        }
    }

    /// The live deployment's file that answers `servedPath` (relative to `root`; a folder's `index.html`), after the
    /// SSR route that takes it; nil when no file answers: the route's compute, or its fallback, or nothing (404).
    private mutating func findFile(_ servedPath: String, root: String, manifest: DeployManifest?) -> String? {
        if let manifest, let route = manifest.route(for: servedPath) {
            self.route = Route(path: route.path, kind: route.target.kind.rawValue)
            if route.target.kind == .compute {
                self.add(note: "The compute answers (its status and headers are its own).")
                return nil
            }
        }
        var relative = String(servedPath.dropFirst())
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory), isDirectory.boolValue {
            relative += relative.isEmpty || relative.hasSuffix("/") ? "index.html" : "/index.html"
        }
        if FileManager.default.fileExists(atPath: root + "/" + relative) { return relative }
        if let fallback = self.route.flatMap({ _ in manifest?.route(for: servedPath)?.fallback }) {
            self.add(note: "No such file: the route's fallback (\(fallback.kind.rawValue)) answers.")
        } else {
            self.status = 404
            self.add(note: "No such file in the live deployment.")
        }
        return nil
    }

    /// The custom headers `relative` is served with: those the build's `customHttp.yml` gave the live deployment, else the app's.
    private mutating func addHeaders(for relative: String, of live: JobKey, app: App, branch: Branch, files: SiteFiles) {
        let yaml = FileManager.default.contents(atPath: files.deploymentHeaders(live).path).map { String(decoding: $0, as: UTF8.self) }
        let headers = yaml.map { CustomHeaders(yaml: $0) } ?? CustomHeaders(yaml: app.customHeaders, appRoot: MonorepoAppRoot.of(app: app, branch: branch))
        for header in headers.headers(for: relative) {
            self.headers[header.name] = header.value
        }
    }

    private mutating func add(note: String) {
        self.note = self.note.map { $0 + " " + note } ?? note
    }
}
