import Foundation
import Yams

/// What a build runs, read from an `amplify.yml` build spec: phases with their commands, environment
/// variables, the artifacts to deploy and the paths to cache between builds.
///
/// Read as AWS reads it: `baseDirectory: /` (or `.`, `./`) is the application's folder, a phase may have no commands
/// (`commands: []`, or none), `commands` may be one string, `appRoot` may start or end with `/`, the document may be
/// indented as a whole or have CRLF line ends, and keys Amplify does not read are ignored with a warning
/// (`warnings`). What cannot be used is refused naming the key and its line.
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
    /// The folder the commands run in and `baseDirectory` is read from, inside the repository: the frontend's
    /// `buildPath` (a monorepo built from its root, `buildPath: /`), else `appRoot`.
    var buildPath: String?
    var phases: [Phase] = []
    /// The `test` section's phases (section `test`); empty when the spec has none.
    var testPhases: [Phase] = []
    var testArtifacts: TestArtifacts?
    /// The folder, relative to `workingDirectory`, whose files are deployed; nil when the spec has no artifacts.
    var artifactsBaseDirectory: String?
    var artifactFiles: [String] = ["**/*"]
    var discardPaths = false
    var cachePaths: [String] = []
    /// The spec's own `customHeaders` (the application's, else the top level's), which AWS deprecated for
    /// `customHttp.yml`: nil when it has none; `headers` nil when they cannot be used, `problem` saying why.
    var customHeaders: SpecHeaders?
    /// What was ignored (keys Amplify does not read), for the build's log.
    var warnings: [String] = []

    struct SpecHeaders: Equatable, Sendable {
        var headers: CustomHttpFile?
        var problem: String?
    }

    /// Where the commands run and the artifacts are read from, inside the repository.
    var workingDirectory: String { self.buildPath ?? self.appRoot }

    /// A spec with nothing in it (framework detection fills one in).
    init() {}

    init(yaml: String, monorepoAppRoot: String?) throws(Invalid) {
        let root = try Self.root(yaml)
        var warnings: [String] = []
        let application = try self.readApplication(of: root, named: monorepoAppRoot, warnings: &warnings)
        guard Self.sectionOrder.contains(where: { application[$0] != nil }) || application["test"] != nil else {
            throw Invalid(message: "The build spec has no frontend or backend section\(application.line): add frontend with its phases and artifacts.")
        }
        self.variables = try Self.variables(root["env"], warnings: &warnings)
        if application.path != "" {
            self.variables.merge(try Self.variables(application["env"], warnings: &warnings)) { _, inner in inner }
        }
        let frontend = try self.readSections(of: application, warnings: &warnings)
        try self.readTest(application["test"], warnings: &warnings)
        if let frontend { try self.readFrontend(frontend, warnings: &warnings) }
        if let list = application["customHeaders"] ?? root["customHeaders"] {
            do {
                self.customHeaders = SpecHeaders(headers: try CustomHttpFile.headers(list.node.any, path: "the build spec's customHeaders"))
            } catch {
                self.customHeaders = SpecHeaders(problem: error.message)
            }
        }
        self.warnings = warnings
    }

    /// The document's top-level mapping; refused when it is not YAML, or not a mapping.
    private static func root(_ yaml: String) throws(Invalid) -> Field {
        let document: Node?
        do {
            document = try Yams.compose(yaml: yaml)
        } catch {
            throw Invalid(message: "The build spec is not valid YAML: \(Self.describe(error))")
        }
        guard let document, let root = Field(document, path: "").mapping else {
            throw Invalid(message: "The build spec must be a YAML mapping with frontend and/or backend sections\(document.map { Field($0, path: "").line } ?? "").")
        }
        return root
    }

    /// The mapping that holds the sections: the document itself, or in the monorepo form the application it picks
    /// (whose `appRoot` is read).
    private mutating func readApplication(of root: Field, named monorepoAppRoot: String?, warnings: inout [String]) throws(Invalid) -> Field {
        guard let applications = root["applications"] else {
            root.ignoreOthers(["version", "env", "backend", "frontend", "test", "customHeaders"], warnings: &warnings)
            return root
        }
        root.ignoreOthers(["version", "env", "applications", "customHeaders"], warnings: &warnings)
        let application = try Self.application(applications, named: monorepoAppRoot)
        guard application["appRoot"] != nil else {
            throw Invalid(message: "\(application.path) has no appRoot: each entry of applications names its application's folder in appRoot\(application.line).")
        }
        self.appRoot = try Self.relativePath(application["appRoot"], field: "appRoot", of: application)
        application.ignoreOthers(["appRoot", "env", "backend", "frontend", "test", "customHeaders"], warnings: &warnings)
        return application
    }

    /// The `backend` and `frontend` sections' phases, in that order; returns the frontend's mapping (nil without one).
    private mutating func readSections(of application: Field, warnings: inout [String]) throws(Invalid) -> Field? {
        var frontend: Field?
        for section in Self.sectionOrder {
            guard let field = application[section], !field.isNull else { continue }
            guard let body = field.mapping else { throw Invalid(message: "\(field.path) must be a mapping\(field.line).") }
            let known = section == "frontend" ? ["phases", "artifacts", "cache", "buildPath", "buildpath"] : ["phases", "artifacts", "cache"]
            body.ignoreOthers(known, warnings: &warnings)
            self.phases += try Self.phases(body["phases"], order: Self.phaseOrder, section: section, warnings: &warnings)
            if section == "frontend" { frontend = body }
        }
        return frontend
    }

    /// The `test` section: its phases and what it collects.
    private mutating func readTest(_ field: Field?, warnings: inout [String]) throws(Invalid) {
        guard let field, !field.isNull else { return }
        guard let test = field.mapping else { throw Invalid(message: "\(field.path) must be a mapping\(field.line).") }
        test.ignoreOthers(["phases", "artifacts"], warnings: &warnings)
        self.testPhases = try Self.phases(test["phases"], order: Self.testPhaseOrder, section: "test", warnings: &warnings)
        self.testArtifacts = try Self.testArtifacts(test["artifacts"], warnings: &warnings)
    }

    /// What only the frontend has: its `buildPath`, the artifacts deployed and the paths cached.
    private mutating func readFrontend(_ frontend: Field, warnings: inout [String]) throws(Invalid) {
        if let buildPath = frontend["buildPath"] ?? frontend["buildpath"], !buildPath.isNull {
            self.buildPath = try Self.relativePath(buildPath, field: buildPath.path, of: frontend)
        }
        try self.readArtifacts(frontend["artifacts"], warnings: &warnings)
        if let cache = frontend["cache"], !cache.isNull {
            guard let body = cache.mapping else { throw Invalid(message: "\(cache.path) must be a mapping\(cache.line).") }
            body.ignoreOthers(["paths"], warnings: &warnings)
            self.cachePaths = try Self.strings(body["paths"]) ?? []
        }
    }

    /// A section's phases in their order, each with its commands (a phase without commands runs nothing).
    private static func phases(_ field: Field?, order: [String], section: String, warnings: inout [String]) throws(Invalid) -> [Phase] {
        guard let field, !field.isNull else { return [] }
        guard let phases = field.mapping else { throw Invalid(message: "\(field.path) must be a mapping\(field.line).") }
        phases.ignoreOthers(order, warnings: &warnings)
        var result: [Phase] = []
        for name in order {
            guard let phase = phases[name], !phase.isNull else { continue }
            guard let body = phase.mapping else { throw Invalid(message: "\(phase.path) must be a mapping with commands\(phase.line).") }
            body.ignoreOthers(["commands"], warnings: &warnings)
            let commands = try Self.strings(body["commands"]) ?? []
            if !commands.isEmpty {
                result.append(Phase(section: section, name: name, commands: commands))
            }
        }
        return result
    }

    private static func testArtifacts(_ field: Field?, warnings: inout [String]) throws(Invalid) -> TestArtifacts? {
        guard let field, !field.isNull else { return nil }
        guard let artifacts = field.mapping else { throw Invalid(message: "\(field.path) must be a mapping\(field.line).") }
        artifacts.ignoreOthers(["baseDirectory", "configFilePath", "files"], warnings: &warnings)
        return TestArtifacts(
            baseDirectory: try artifacts["baseDirectory"].map { field throws(Invalid) in try Self.relativePath(field, field: field.path, of: artifacts) } ?? ".",
            configFilePath: try artifacts["configFilePath"].map { field throws(Invalid) in
                guard let path = field.text, !path.isEmpty else { throw Invalid(message: "\(field.path) must be a path\(field.line).") }
                return path.hasPrefix("/") ? String(path.dropFirst()) : path
            },
            files: try Self.strings(artifacts["files"]) ?? ["**/*"]
        )
    }

    private mutating func readArtifacts(_ field: Field?, warnings: inout [String]) throws(Invalid) {
        guard let field, !field.isNull else { return }
        guard let artifacts = field.mapping else { throw Invalid(message: "\(field.path) must be a mapping\(field.line).") }
        artifacts.ignoreOthers(["baseDirectory", "files", "discard-paths", "name"], warnings: &warnings)
        self.artifactsBaseDirectory = try artifacts["baseDirectory"].map { field throws(Invalid) in try Self.relativePath(field, field: field.path, of: artifacts) } ?? "."
        self.artifactFiles = try Self.strings(artifacts["files"]) ?? ["**/*"]
        if let discard = artifacts["discard-paths"], let text = discard.text {
            self.discardPaths = ["yes", "true", "on"].contains(text.lowercased())
        }
    }

    private static func application(_ field: Field, named appRoot: String?) throws(Invalid) -> Field {
        guard let list = field.sequence, !list.isEmpty else {
            throw Invalid(message: "applications must be a list of applications, each with an appRoot\(field.line).")
        }
        for entry in list where entry.mapping == nil {
            throw Invalid(message: "Each entry of applications must be a mapping\(entry.line).")
        }
        let applications = list.compactMap(\.mapping)
        func trimmed(_ text: String) -> String { text.trimmingCharacters(in: CharacterSet(charactersIn: "/")) }
        if let appRoot {
            guard let match = applications.first(where: { trimmed($0["appRoot"]?.text ?? "") == trimmed(appRoot) }) else {
                throw Invalid(message: "No application in the build spec has appRoot \(appRoot) (AMPLIFY_MONOREPO_APP_ROOT).")
            }
            return match
        }
        guard applications.count == 1 else {
            throw Invalid(message: "The build spec lists \(applications.count) applications: set AMPLIFY_MONOREPO_APP_ROOT to the appRoot to build.")
        }
        return applications[0]
    }

    private static func variables(_ field: Field?, warnings: inout [String]) throws(Invalid) -> [String: String] {
        guard let field, !field.isNull else { return [:] }
        guard let env = field.mapping else { throw Invalid(message: "\(field.path) must be a mapping\(field.line).") }
        env.ignoreOthers(["variables"], warnings: &warnings)
        guard let variables = env["variables"], !variables.isNull else { return [:] }
        guard let map = variables.mapping else { throw Invalid(message: "\(variables.path) must be a mapping\(variables.line).") }
        var result: [String: String] = [:]
        for (name, value) in map.entries {
            guard let text = value.text else { throw Invalid(message: "\(variables.path).\(name) must be a single value\(value.line).") }
            result[name] = text
        }
        return result
    }

    /// A list of strings, or one string (`commands: npm ci`); nil when absent or empty (`commands:`).
    private static func strings(_ field: Field?) throws(Invalid) -> [String]? {
        guard let field, !field.isNull else { return nil }
        if let single = field.text { return [single] }
        guard let list = field.sequence else { throw Invalid(message: "\(field.path) must be a list\(field.line).") }
        var result: [String] = []
        for item in list {
            guard let text = item.text, !item.isNull else { throw Invalid(message: "Each entry of \(field.path) must be a string\(item.line).") }
            result.append(text)
        }
        return result
    }

    /// A folder inside the repository (or the application's folder), without `..`: a leading or trailing `/` is
    /// the folder it is read from (`baseDirectory: /` is the application's folder, `appRoot: /apps/web` is
    /// `apps/web`, as on AWS); `.` or empty components are dropped.
    private static func relativePath(_ field: Field?, field name: String, of parent: Field) throws(Invalid) -> String {
        guard let field, let path = field.text, !path.isEmpty else { throw Invalid(message: "\(name) must be a path\((field ?? parent).line).") }
        let components = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        guard !components.contains("..") else {
            throw Invalid(message: "\(name) \(path) must be a relative path inside the repository\(field.line).")
        }
        return components.isEmpty ? "." : components.joined(separator: "/")
    }

    private static func describe(_ error: any Error) -> String {
        if let yaml = error as? YamlError { return "\(yaml)".split(separator: "\n").joined(separator: " ") }
        return "\(error)"
    }

    /// A node of the spec with its dotted path (`frontend.phases.build`), for messages that name it and its line.
    private struct Field {
        let node: Node
        let path: String
        /// Where it is written: its key's place for a mapping's value (a value may start on the next line).
        let mark: Mark?

        init(_ node: Node, path: String, mark: Mark? = nil) {
            self.node = node
            self.path = path
            self.mark = mark ?? node.mark
        }

        /// ` (line N)`, or nothing when the parser gave no mark.
        var line: String { self.mark.map { " (line \($0.line))" } ?? "" }

        var isNull: Bool { self.node.null != nil }

        /// A scalar as written (YAML 1.2's core schema, as AWS reads it: `yes` stays `yes`); nil for a null, a
        /// list or a mapping.
        var text: String? {
            guard let scalar = self.node.scalar, !self.isNull else { return nil }
            return scalar.string
        }

        var mapping: Field? { self.node.mapping != nil ? self : nil }

        var sequence: [Field]? {
            self.node.sequence.map { list in list.enumerated().map { Field($1, path: "\(self.path)[\($0)]") } }
        }

        /// The entries of a mapping whose keys are scalars, in order.
        var entries: [(String, Field)] {
            (self.node.mapping ?? [:]).compactMap { key, value in
                key.scalar.map { ($0.string, Field(value, path: self.path.isEmpty ? $0.string : "\(self.path).\($0.string)", mark: key.mark)) }
            }
        }

        subscript(key: String) -> Field? {
            self.entries.first { $0.0 == key }?.1
        }

        /// A warning for each key of this mapping that is not `known` (Amplify ignores it, and so does this).
        func ignoreOthers(_ known: [String], warnings: inout [String]) {
            for (key, value) in self.entries where !known.contains(key) {
                warnings.append("The build spec's \(value.path)\(value.line) is not a key Amplify reads: ignored.")
            }
        }
    }
}
