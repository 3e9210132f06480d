import AmplifyCore
import Foundation
import Yams

/// `customHttp.yml` in the repository (or at a manual deployment's root): the custom headers of the deployment, which
/// replace the app's `customHeaders` for it (as on AWS). Read as AWS reads it: a monorepo app's (one with
/// `AMPLIFY_MONOREPO_APP_ROOT`) from the repository's root, in the monorepo form (`applications: [{appRoot,
/// customHeaders}]`, the entry of its app root), and a file without it fails the job; any other app's from the app
/// root, else the repository's root, and a file whose `customHeaders` is not a list gives no headers (AWS logs a line
/// and deploys as if there were no file).
struct CustomHttpFile: Equatable, Sendable {
    static let name = "customHttp.yml"

    /// Why the file cannot be used: the build fails with this.
    struct Invalid: Error, Equatable {
        var message: String
        /// AWS's lines for it, logged (as errors) before the step fails.
        var lines: [String] = []
    }

    /// AWS's line for a file whose `customHeaders` is missing, null or not a list (amplify-hosting#3049).
    static let notAListLine = "!!Invalid custom header config file. The `customHeaders` key should be an array"

    /// Where it was found, relative to the repository.
    var path: String
    /// The headers in the app's `customHeaders` YAML form (`customHeaders:` and its list), as the sites read them; nil
    /// when the file gives none (`customHeaders` is not a list: the app's own headers apply, as with no file).
    var customHeaders: String?
    /// Headers whose value a response cannot carry (a line break): served as a 502 for the paths they match, as on AWS.
    var unservable: [String] = []

    /// The file of the app at `appRoot` (the build spec's) in `repository`, checked; nil when there is none.
    /// `monorepoAppRoot` is the app's `AMPLIFY_MONOREPO_APP_ROOT`, nil for an app that is not a monorepo app.
    static func read(repository: URL, appRoot: String, monorepoAppRoot: String?) throws(Invalid) -> CustomHttpFile? {
        let candidates = (appRoot == "." || monorepoAppRoot != nil ? [] : ["\(appRoot)/\(Self.name)"]) + [Self.name]
        guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: repository.appending(path: $0).path) }),
            let data = FileManager.default.contents(atPath: repository.appending(path: path).path)
        else { return nil }
        guard let text = String(data: data, encoding: .utf8) else { throw Invalid(message: "\(path) is not UTF-8 text.") }
        // Before loading it: loading is what expands aliases (into more than the server's memory holds).
        if let problem = CustomHeadersText.problem(text, field: path) { throw Invalid(message: problem) }
        let document: Any?
        do {
            document = try Yams.load(yaml: text)
        } catch {
            throw Invalid(message: "\(path) is not valid YAML: \("\(error)".split(separator: "\n").joined(separator: " "))")
        }
        let root = document as? [String: Any] ?? [:]
        var list = root["customHeaders"]
        if let monorepoAppRoot {
            let failing = { (line: String) in
                Invalid(message: "\(path): \(line.drop { $0 == "!" }).", lines: [line, "!!!Unable to save headers"])
            }
            guard let applications = root["applications"] else { throw failing("!!!Monorepo spec provided without \"applications\" key") }
            let entry = (applications as? [Any] ?? []).compactMap { $0 as? [String: Any] }.first {
                ($0["appRoot"] as? String).map { $0.split(separator: "/").joined(separator: "/") } == monorepoAppRoot
            }
            guard let entry else { throw failing("!!!Invalid monorepo spec, no appRoot matching \(monorepoAppRoot) found") }
            list = entry["customHeaders"]
        }
        return try Self.headers(list, path: path)
    }

    /// The headers of `list` (a `customHeaders` value) read from `path`; none (nil `customHeaders`) when it is not a list.
    static func headers(_ list: Any?, path: String) throws(Invalid) -> CustomHttpFile {
        guard list is [Any] else { return CustomHttpFile(path: path, customHeaders: nil) }
        let rules = try Self.rules(list, path: path)
        let unservable = rules.flatMap { rule in
            (rule["headers"] as? [[String: String]] ?? []).filter { $0["value"].map(HeaderValue.isServable) == false }.compactMap { $0["key"] }
        }
        do {
            return CustomHttpFile(path: path, customHeaders: try Yams.dump(object: ["customHeaders": rules]), unservable: unservable)
        } catch {
            throw Invalid(message: "\(path) could not be read: \(error)")
        }
    }

    /// The list checked: each entry a `pattern` and `headers` of `key` and `value`.
    private static func rules(_ value: Any?, path: String) throws(Invalid) -> [[String: Any]] {
        guard let entries = value as? [Any] else { throw Invalid(message: "\(path): customHeaders must be a list of pattern and headers.") }
        var rules: [[String: Any]] = []
        for (index, entry) in entries.enumerated() {
            let field = "customHeaders[\(index)]"
            guard let entry = entry as? [String: Any], let pattern = entry["pattern"] as? String, !pattern.isEmpty else {
                throw Invalid(message: "\(path): \(field) needs a pattern.")
            }
            guard let headers = entry["headers"] as? [Any] else { throw Invalid(message: "\(path): \(field).headers must be a list of key and value.") }
            var pairs: [[String: String]] = []
            for (position, header) in headers.enumerated() {
                guard let header = header as? [String: Any], let key = header["key"].map({ "\($0)" }), !key.isEmpty,
                    key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "!#$%&'*+-.^_`|~".contains($0)) }),
                    let value = header["value"].map({ "\($0)" })
                else {
                    throw Invalid(message: "\(path): \(field).headers[\(position)] needs a key (a header name) and a value.")
                }
                pairs.append(["key": key, "value": value])
            }
            rules.append(["pattern": pattern, "headers": pairs])
        }
        return rules
    }
}
