import AmplifyCore
import Foundation
import Logging

/// An app's custom rule, ready to match request paths as Amplify does: `<*>` matches the rest of the
/// path, `<name>` one path segment, both carried into the target; a source written `</regex/>` is a
/// regular expression (the form single-page apps use). A source with `?` is matched against the path
/// with its query.
///
/// Matching is bounded: every rule runs on ICU's backtracking engine (the regular expressions Amplify projects
/// write use lookahead, which linear-time engines lack), counted in ICU's steps against the request's `Budget`. A
/// rule that runs out of it (catastrophic backtracking, such as `^(a+)+$`) does not match, and says so in the log.
public struct RedirectRule: Sendable {
    public enum Action: Equatable, Sendable {
        /// 301 or 302 to the target.
        case redirect(status: Int, location: String)
        /// 200: serve the target's content at the original address.
        case rewrite(String)
        /// 404 or 404-200: when the requested file does not exist, serve the target with this status.
        case notFound(status: Int, target: String)
    }

    /// What one rule made of a path.
    public enum Match: Equatable, Sendable {
        case matched(Action)
        case noMatch
        /// The rule's matching ran out of the request's budget: it is taken as not matching.
        case gaveUp
    }

    /// The matching work one request may cost, counted in ICU's progress reports (one about every 10,000 steps of
    /// its engine, some 0.2 ms): at most `perRule` for one rule, so that a rule that backtracks does not starve the
    /// rules after it, and `perRequest` for all of an app's rules together. The single-page-app expressions take
    /// tens of steps a character, so a path of thousands of characters fits a rule's share many times over, while
    /// `^/(a+)+$` on a 30-character path would take hundreds of millions.
    public struct Budget: Sendable {
        public static let perRule = 30
        public static let perRequest = 100
        public internal(set) var remaining: Int

        public init(_ reports: Int = Self.perRequest) {
            self.remaining = reports
        }
    }

    let rule: CustomRule
    private let regex: NSRegularExpression?
    /// Whether the path is matched with its query (a placeholder source with `?`).
    private let matchesQuery: Bool
    /// The placeholder names in capture-group order (`*` for `<*>`).
    private let names: [String]
    /// Whether the target as written is a path of the site (neither `scheme:` nor `//host`), so that what a
    /// placeholder carries into it must leave it one.
    private let targetIsPath: Bool

    private static let logger = Logger(label: "amplify-local.sites.rules")

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
        self.targetIsPath = !Self.isAbsolute(rule.target)
    }

    /// What the rule does for `path` (with `query`), or nil when it does not match (or gives up), with a budget of
    /// its own.
    public func action(path: String, query: String?) -> Action? {
        var budget = Budget()
        guard case .matched(let action) = self.match(path: path, query: query, budget: &budget) else { return nil }
        return action
    }

    /// What the rule does for `path` (with `query`), its matching paid from `budget`. Rules with a country
    /// `condition` never match here: there is no country to compare.
    public func match(path: String, query: String?, budget: inout Budget) -> Match {
        guard let regex, (self.rule.condition ?? "").isEmpty else { return .noMatch }
        let subject = self.matchesQuery ? path + "?" + (query ?? "") : path
        var found: NSTextCheckingResult?
        var exhausted = false
        let allowed = min(budget.remaining, Budget.perRule)
        var remaining = allowed
        if remaining <= 0 {
            exhausted = true
        } else {
            regex.enumerateMatches(in: subject, options: [.reportProgress], range: NSRange(subject.startIndex..., in: subject)) { result, flags, stop in
                if let result {
                    found = result
                    stop.pointee = true
                } else if flags.contains(.progress) {
                    remaining -= 1
                    if remaining <= 0 {
                        exhausted = true
                        stop.pointee = true
                    }
                }
            }
        }
        budget.remaining -= allowed - max(remaining, 0)
        guard let match = found else {
            if exhausted {
                Self.logger.warning(
                    "A custom rule's matching ran out of its budget: it does not match this request.",
                    metadata: ["rule.source": "\(self.rule.source)", "path": "\(subject.prefix(200))", "budget.reports": "\(allowed)"]
                )
                return .gaveUp
            }
            return .noMatch
        }
        var target = self.rule.target
        for (index, name) in self.names.enumerated() where index + 1 < match.numberOfRanges {
            guard let captured = Range(match.range(at: index + 1), in: subject) else { continue }
            target = target.replacingOccurrences(of: "<\(name)>", with: subject[captured])
        }
        if self.targetIsPath { target = Self.onSite(target) }
        switch self.rule.status ?? "301" {
        case "301": return .matched(.redirect(status: 301, location: target))
        case "302": return .matched(.redirect(status: 302, location: target))
        case "200": return .matched(.rewrite(target))
        case "404": return .matched(.notFound(status: 404, target: target))
        case "404-200": return .matched(.notFound(status: 200, target: target))
        default: return .noMatch
        }
    }

    /// Whether a target names another host: a scheme (`https:`, `mailto:`) or a network-path reference (`//host`,
    /// or `/\host`, which browsers read alike).
    static func isAbsolute(_ target: String) -> Bool {
        let bytes = Array(target.utf8.prefix(2))
        if bytes.count == 2, bytes[0] == UInt8(ascii: "/"), bytes[1] == UInt8(ascii: "/") || bytes[1] == UInt8(ascii: "\\") { return true }
        guard let colon = target.firstIndex(of: ":"), let first = target.first, first.isASCII, first.isLetter else { return false }
        return target[..<colon].allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }
    }

    /// A target that was written as a path, kept one whatever the request's path carried into it: a request for
    /// `//evil.example/x` through `/<*>` → `/<*>/` would otherwise make `Location: //evil.example/x/`, which a
    /// browser follows to another host (an open redirect). Leading slashes and backslashes (and the tabs and line
    /// breaks a browser's URL parser drops between them) collapse to one `/`; a scheme carried in gets a `/` before it.
    static func onSite(_ target: String) -> String {
        guard Self.isAbsolute(target) || target.hasPrefix("/") && target.dropFirst().first.map({ "\t\n\r\\/".contains($0) }) == true else {
            return target
        }
        if !target.hasPrefix("/") { return "/" + target }
        let rest = target.drop { "/\\\t\n\r".contains($0) }
        return "/" + rest
    }
}
