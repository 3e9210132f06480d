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

    /// The headers of `yaml`; text that is not the YAML form adds no headers.
    public init(yaml: String?) {
        guard let yaml, !yaml.isEmpty, let document = try? Yams.load(yaml: yaml) as? [String: Any],
            let list = document["customHeaders"] as? [[String: Any]]
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

    /// The headers for the file at `path` (relative to the site, e.g. `index.html`), in the order given.
    public func headers(for path: String) -> [(name: String, value: String)] {
        self.entries.filter { $0.pattern.matches(path) }.flatMap(\.headers)
    }
}
