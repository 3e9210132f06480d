import AmplifyCore
import Foundation

/// An app's custom rule, ready to match request paths as Amplify does: `<*>` matches the rest of the
/// path, `<name>` one path segment, both carried into the target; a source written `</regex/>` is a
/// regular expression (the form single-page apps use). A source with `?` is matched against the path
/// with its query.
public struct RedirectRule: Sendable {
    public enum Action: Equatable, Sendable {
        /// 301 or 302 to the target.
        case redirect(status: Int, location: String)
        /// 200: serve the target's content at the original address.
        case rewrite(String)
        /// 404 or 404-200: when the requested file does not exist, serve the target with this status.
        case notFound(status: Int, target: String)
    }

    let rule: CustomRule
    private let regex: NSRegularExpression?
    /// Whether the path is matched with its query (a placeholder source with `?`).
    private let matchesQuery: Bool
    /// The placeholder names in capture-group order (`*` for `<*>`).
    private let names: [String]

    public init(_ rule: CustomRule) {
        self.rule = rule
        var names: [String] = []
        var pattern = ""
        let source = rule.source
        let isRegex = source.hasPrefix("</") && source.hasSuffix("/>") && source.count >= 4
        self.matchesQuery = !isRegex && source.contains("?")
        if isRegex {
            pattern = String(source.dropFirst(2).dropLast(2))
        } else {
            var rest = Substring(source)
            pattern = "^"
            while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
                pattern += NSRegularExpression.escapedPattern(for: String(rest[..<open]))
                let name = String(rest[rest.index(after: open)..<close])
                if name == "*" {
                    pattern += "(.*)"
                } else if !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) {
                    pattern += "([^/?]+)"
                } else {
                    pattern += NSRegularExpression.escapedPattern(for: String(rest[open...close]))
                    rest = rest[rest.index(after: close)...]
                    continue
                }
                names.append(name)
                rest = rest[rest.index(after: close)...]
            }
            pattern += NSRegularExpression.escapedPattern(for: String(rest)) + "$"
        }
        self.names = names
        self.regex = try? NSRegularExpression(pattern: pattern)
    }

    /// What the rule does for `path` (with `query`), or nil when it does not match. Rules with a
    /// country `condition` never match here: there is no country to compare.
    public func action(path: String, query: String?) -> Action? {
        guard let regex, (self.rule.condition ?? "").isEmpty else { return nil }
        let subject = self.matchesQuery ? path + "?" + (query ?? "") : path
        let range = NSRange(subject.startIndex..., in: subject)
        guard let match = regex.firstMatch(in: subject, range: range) else { return nil }
        var target = self.rule.target
        for (index, name) in self.names.enumerated() where index + 1 < match.numberOfRanges {
            guard let captured = Range(match.range(at: index + 1), in: subject) else { continue }
            target = target.replacingOccurrences(of: "<\(name)>", with: subject[captured])
        }
        switch self.rule.status ?? "301" {
        case "301": return .redirect(status: 301, location: target)
        case "302": return .redirect(status: 302, location: target)
        case "200": return .rewrite(target)
        case "404": return .notFound(status: 404, target: target)
        case "404-200": return .notFound(status: 200, target: target)
        default: return nil
        }
    }
}
