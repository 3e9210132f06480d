import AmplifyCore
import Foundation
import Yams

/// `customHttp.yml` in the repository: the custom headers of the deployment a build makes, which replace the app's
/// `customHeaders` for it (as on AWS). Read from the app root, else the repository's root; the monorepo form
/// (`applications: [{appRoot, customHeaders}]`) gives the headers of the application built.
struct CustomHttpFile: Equatable, Sendable {
    static let name = "customHttp.yml"

    /// Why the file cannot be used: the build fails with this.
    struct Invalid: Error, Equatable {
        var message: String
    }

    /// Where it was found, relative to the repository.
    var path: String
    /// The headers in the app's `customHeaders` YAML form (`customHeaders:` and its list), as the sites read them.
    var customHeaders: String

    /// The file of the app at `appRoot` in `repository`, checked; nil when there is none.
    static func read(repository: URL, appRoot: String) throws(Invalid) -> CustomHttpFile? {
        let candidates = (appRoot == "." ? [] : ["\(appRoot)/\(Self.name)"]) + [Self.name]
        guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: repository.appending(path: $0).path) }),
            let data = FileManager.default.contents(atPath: repository.appending(path: path).path)
        else { return nil }
        guard let text = String(data: data, encoding: .utf8) else { throw Invalid(message: "\(path) is not UTF-8 text.") }
        let document: Any?
        do {
            document = try Yams.load(yaml: text)
        } catch {
            throw Invalid(message: "\(path) is not valid YAML: \("\(error)".split(separator: "\n").joined(separator: " "))")
        }
        guard let root = document as? [String: Any] else {
            throw Invalid(message: "\(path) must be a YAML mapping with customHeaders (a list of pattern and headers).")
        }
        var list = root["customHeaders"]
        if let applications = root["applications"] {
            guard let entries = applications as? [[String: Any]] else { throw Invalid(message: "\(path): applications must be a list of mappings.") }
            let wanted = appRoot.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            guard let entry = entries.first(where: { ($0["appRoot"] as? String)?.trimmingCharacters(in: CharacterSet(charactersIn: "/")) == wanted }) else {
                throw Invalid(message: "\(path): no application has appRoot \(appRoot).")
            }
            list = entry["customHeaders"]
        }
        let rules = try Self.rules(list, path: path)
        do {
            return CustomHttpFile(path: path, customHeaders: try Yams.dump(object: ["customHeaders": rules]))
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
                    let value = header["value"].map({ "\($0)" }), !value.contains(where: \.isNewline)
                else {
                    throw Invalid(message: "\(path): \(field).headers[\(position)] needs a key (a header name) and a value on one line.")
                }
                pairs.append(["key": key, "value": value])
            }
            rules.append(["pattern": pattern, "headers": pairs])
        }
        return rules
    }
}
