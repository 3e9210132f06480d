import Foundation
import Yams

/// What a build runs, read from an `amplify.yml` build spec: phases with their commands, environment
/// variables, the artifacts to deploy and the paths to cache between builds.
///
/// The monorepo form (`applications:` with an `appRoot` each) picks the application named by
/// `AMPLIFY_MONOREPO_APP_ROOT`, or the only one there is.
struct BuildSpec: Equatable, Sendable {
    /// A phase of a section (`backend` or `frontend`), with its commands in order.
    struct Phase: Equatable, Sendable {
        var section: String
        var name: String
        var commands: [String]
    }

    /// Why a build spec cannot be used.
    struct Invalid: Error, Equatable {
        var message: String
    }

    /// What the `test` section collects after its phases: files under `baseDirectory` (relative to `appRoot`) that
    /// match `files`, and the test report `configFilePath` names (a path or a pattern, relative to `baseDirectory`).
    struct TestArtifacts: Equatable, Sendable {
        var baseDirectory: String
        var configFilePath: String?
        var files: [String]
    }

    /// The phases a section may have, in the order they run.
    static let phaseOrder = ["preBuild", "build", "postBuild"]
    /// The phases of the `test` section (its own step, TEST, after BUILD), in the order they run.
    static let testPhaseOrder = ["preTest", "test", "postTest"]
    /// The sections that run, in order.
    static let sectionOrder = ["backend", "frontend"]

    var variables: [String: String] = [:]
    /// The application's folder inside the repository ("." unless the monorepo form names one).
    var appRoot = "."
    var phases: [Phase] = []
    /// The `test` section's phases (section `test`); empty when the spec has none.
    var testPhases: [Phase] = []
    var testArtifacts: TestArtifacts?
    /// The folder, relative to `appRoot`, whose files are deployed; nil when the spec has no artifacts.
    var artifactsBaseDirectory: String?
    var artifactFiles: [String] = ["**/*"]
    var discardPaths = false
    var cachePaths: [String] = []
    /// The spec's own `customHeaders` (the application's, else the top level's), which AWS deprecated for
    /// `customHttp.yml`: nil when it has none; `headers` nil when they cannot be used, `problem` saying why.
    var customHeaders: SpecHeaders?

    struct SpecHeaders: Equatable, Sendable {
        var headers: CustomHttpFile?
        var problem: String?
    }

    /// A spec with nothing in it (framework detection fills one in).
    init() {}

    init(yaml: String, monorepoAppRoot: String?) throws(Invalid) {
        let document: Any?
        do {
            document = try Yams.load(yaml: yaml)
        } catch {
            throw Invalid(message: "The build spec is not valid YAML: \(Self.describe(error))")
        }
        guard let root = document as? [String: Any] else {
            throw Invalid(message: "The build spec must be a YAML mapping with frontend and/or backend sections.")
        }
        var application = root
        if let applications = root["applications"] {
            application = try Self.application(applications, named: monorepoAppRoot)
            self.appRoot = try Self.relativePath(application["appRoot"], field: "appRoot")
        }
        self.variables = try Self.variables(root["env"], section: "env")
            .merging(try Self.variables(application["env"], section: "env")) { _, inner in inner }
        for section in Self.sectionOrder {
            guard let value = application[section] else { continue }
            guard let body = value as? [String: Any] else { throw Invalid(message: "\(section) must be a mapping.") }
            self.phases += try Self.phases(of: section, body["phases"], order: Self.phaseOrder)
        }
        guard !self.phases.isEmpty else {
            throw Invalid(message: "The build spec has no commands: add frontend (or backend) phases with commands.")
        }
        if let value = application["test"] {
            guard let test = value as? [String: Any] else { throw Invalid(message: "test must be a mapping.") }
            self.testPhases = try Self.phases(of: "test", test["phases"], order: Self.testPhaseOrder)
            self.testArtifacts = try Self.testArtifacts(test["artifacts"])
        }
        let frontend = application["frontend"] as? [String: Any] ?? [:]
        try self.readArtifacts(frontend["artifacts"])
        self.cachePaths = try Self.strings((frontend["cache"] as? [String: Any])?["paths"], field: "cache.paths") ?? []
        if let list = application["customHeaders"] ?? root["customHeaders"] {
            do {
                self.customHeaders = SpecHeaders(headers: try CustomHttpFile.headers(list, path: "the build spec's customHeaders"))
            } catch {
                self.customHeaders = SpecHeaders(problem: error.message)
            }
        }
    }

    private static func phases(of section: String, _ value: Any?, order: [String]) throws(Invalid) -> [Phase] {
        guard let value else { return [] }
        guard let phases = value as? [String: Any] else { throw Invalid(message: "\(section).phases must be a mapping.") }
        var result: [Phase] = []
        for name in order {
            guard let phase = phases[name] else { continue }
            guard let body = phase as? [String: Any] else { throw Invalid(message: "\(section).phases.\(name) must be a mapping.") }
            let commands = try Self.strings(body["commands"], field: "\(section).phases.\(name).commands") ?? []
            if !commands.isEmpty {
                result.append(Phase(section: section, name: name, commands: commands))
            }
        }
        return result
    }

    private static func testArtifacts(_ value: Any?) throws(Invalid) -> TestArtifacts? {
        guard let value, !(value is NSNull) else { return nil }
        guard let artifacts = value as? [String: Any] else { throw Invalid(message: "test.artifacts must be a mapping.") }
        let base = artifacts["baseDirectory"].map { Self.scalar($0) ?? "" } ?? "."
        return TestArtifacts(
            baseDirectory: try Self.relativePath(base.hasPrefix("/") ? String(base.dropFirst()) : base, field: "test.artifacts.baseDirectory"),
            configFilePath: try artifacts["configFilePath"].map { value throws(Invalid) in
                guard let path = Self.scalar(value), !path.isEmpty else { throw Invalid(message: "test.artifacts.configFilePath must be a path.") }
                return path.hasPrefix("/") ? String(path.dropFirst()) : path
            },
            files: try Self.strings(artifacts["files"], field: "test.artifacts.files") ?? ["**/*"]
        )
    }

    private mutating func readArtifacts(_ value: Any?) throws(Invalid) {
        guard let value else { return }
        guard let artifacts = value as? [String: Any] else { throw Invalid(message: "frontend.artifacts must be a mapping.") }
        let base = artifacts["baseDirectory"].map { Self.scalar($0) ?? "" } ?? "."
        self.artifactsBaseDirectory = try Self.relativePath(base.hasPrefix("/") ? String(base.dropFirst()) : base, field: "artifacts.baseDirectory")
        self.artifactFiles = try Self.strings(artifacts["files"], field: "artifacts.files") ?? ["**/*"]
        if let discard = artifacts["discard-paths"] {
            self.discardPaths = (discard as? Bool) ?? (Self.scalar(discard).map { ["yes", "true", "on"].contains($0.lowercased()) } ?? false)
        }
    }

    private static func application(_ value: Any, named appRoot: String?) throws(Invalid) -> [String: Any] {
        guard let list = value as? [Any], !list.isEmpty else {
            throw Invalid(message: "applications must be a list of applications, each with an appRoot.")
        }
        let applications = list.compactMap { $0 as? [String: Any] }
        guard applications.count == list.count else { throw Invalid(message: "Each entry of applications must be a mapping.") }
        if let appRoot {
            let wanted = appRoot.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            guard let match = applications.first(where: { ($0["appRoot"].flatMap(Self.scalar) ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "/")) == wanted }) else {
                throw Invalid(message: "No application in the build spec has appRoot \(appRoot) (AMPLIFY_MONOREPO_APP_ROOT).")
            }
            return match
        }
        guard applications.count == 1 else {
            throw Invalid(message: "The build spec lists \(applications.count) applications: set AMPLIFY_MONOREPO_APP_ROOT to the appRoot to build.")
        }
        return applications[0]
    }

    private static func variables(_ value: Any?, section: String) throws(Invalid) -> [String: String] {
        guard let value else { return [:] }
        guard let env = value as? [String: Any] else { throw Invalid(message: "\(section) must be a mapping.") }
        guard let variables = env["variables"] else { return [:] }
        guard let map = variables as? [String: Any] else { throw Invalid(message: "\(section).variables must be a mapping.") }
        var result: [String: String] = [:]
        for (name, value) in map {
            guard let text = Self.scalar(value) else { throw Invalid(message: "\(section).variables.\(name) must be a single value.") }
            result[name] = text
        }
        return result
    }

    private static func strings(_ value: Any?, field: String) throws(Invalid) -> [String]? {
        guard let value, !(value is NSNull) else { return nil }
        if let single = Self.scalar(value) { return [single] }
        guard let list = value as? [Any] else { throw Invalid(message: "\(field) must be a list.") }
        var result: [String] = []
        for item in list {
            guard let text = Self.scalar(item) else { throw Invalid(message: "Each entry of \(field) must be a string.") }
            result.append(text)
        }
        return result
    }

    /// A path inside the repository: relative, without `..`.
    private static func relativePath(_ value: Any?, field: String) throws(Invalid) -> String {
        guard let value, let path = Self.scalar(value), !path.isEmpty else { throw Invalid(message: "\(field) must be a path.") }
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        guard !path.hasPrefix("/"), !components.contains("..") else {
            throw Invalid(message: "\(field) \(path) must be a relative path inside the repository.")
        }
        return components.isEmpty ? "." : components.joined(separator: "/")
    }

    /// A YAML scalar as text (YAML reads `yes`, `1` and `1.5` as Bool, Int and Double).
    private static func scalar(_ value: Any) -> String? {
        switch value {
        case let text as String: text
        case let flag as Bool: flag ? "true" : "false"
        case let number as Int: String(number)
        case let number as Double: String(number)
        default: nil
        }
    }

    private static func describe(_ error: any Error) -> String {
        if let yaml = error as? YamlError { return "\(yaml)".split(separator: "\n").joined(separator: " ") }
        return "\(error)"
    }
}
