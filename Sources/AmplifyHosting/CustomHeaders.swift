import AmplifyCore
import Yams

/// An app's `customHeaders` (the YAML form): for each pattern, headers added to the responses whose
/// file path matches it.
///
///     customHeaders:
///       - pattern: '**/*'
///         headers:
///           - key: 'Strict-Transport-Security'
///             value: 'max-age=31536000'
public struct CustomHeaders: Sendable {
    struct Entry: Sendable {
        var pattern: FileGlob
        var headers: [(name: String, value: String)]
    }

    let entries: [Entry]

    /// The headers of `yaml`; text that is not the YAML form adds no headers, nor does text with YAML anchors
    /// (refused when written; still found in a state imported or a data folder from before), which could expand
    /// into more than memory holds.
    /// The monorepo form (`applications: [{appRoot, customHeaders}]`) gives the headers of the application at `appRoot`
    /// (the branch's `AMPLIFY_MONOREPO_APP_ROOT`), none when no application has it.
    public init(yaml: String?, appRoot: String? = nil) {
        guard let yaml, !yaml.isEmpty, CustomHeadersText.problem(yaml) == nil, let document = try? Yams.load(yaml: yaml) as? [String: Any],
            let list = Self.list(document, appRoot: appRoot)
        else {
            self.entries = []
            return
        }
        self.entries = list.compactMap { item in
            guard let pattern = item["pattern"] as? String, let headers = item["headers"] as? [[String: Any]] else { return nil }
            let pairs = headers.compactMap { header -> (String, String)? in
                guard let key = header["key"].map({ "\($0)" }), let value = header["value"].map({ "\($0)" }), !key.isEmpty else { return nil }
                return (key, value)
            }
            return Entry(pattern: FileGlob(pattern), headers: pairs)
        }
    }

    private static func list(_ document: [String: Any], appRoot: String?) -> [[String: Any]]? {
        guard let applications = document["applications"] as? [[String: Any]], let appRoot, !appRoot.isEmpty else {
            return document["customHeaders"] as? [[String: Any]]
        }
        let trimmed = { (root: String) in root.split(separator: "/").joined(separator: "/") }
        return applications.first { ($0["appRoot"] as? String).map(trimmed) == trimmed(appRoot) }?["customHeaders"] as? [[String: Any]]
    }

    /// Why an app's `customHeaders` cannot be stored, in AWS's words (a BadRequestException), nil when it can: its top
    /// level must be a mapping (`customHeaders:` or the monorepo form's `applications:`). Empty text clears them.
    /// Called after `CustomHeadersText.problem`, which keeps anchors from being expanded here.
    public static func problem(_ yaml: String) -> String? {
        guard !yaml.allSatisfy(\.isWhitespace) else { return nil }
        let document: Any?
        do {
            document = try Yams.load(yaml: yaml)
        } catch {
            return "Invalid spec, yaml parsing error: \("\(error)".split(separator: "\n").joined(separator: " "))"
        }
        guard document is [String: Any] else { return "Invalid spec, yaml parsing error: Invalid spec, top level must be key value pairs" }
        return nil
    }

    /// The headers for the file at `path` (relative to the site, e.g. `index.html`), in the order given.
    public func headers(for path: String) -> [(name: String, value: String)] {
        self.entries.filter { $0.pattern.matches(path) }.flatMap(\.headers)
    }
}
