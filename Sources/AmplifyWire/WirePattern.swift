import Foundation

/// A model pattern, matched against the whole value as the service does.
public struct WirePattern: Sendable {
    /// The pattern as the model writes it (shown in error messages).
    public let source: String
    private let kind: Kind

    private enum Kind: @unchecked Sendable {
        case anything
        case nonEmpty
        /// `prefix[class]+` or `prefix[class]*` over ASCII, matched without a regex engine.
        case simple(prefix: [UInt8], allowed: [Bool], atLeastOne: Bool)
        case regex(NSRegularExpression)
    }

    public init(_ source: String) {
        self.source = source
        switch source {
        case "(?s).*": self.kind = .anything
        case "(?s).+": self.kind = .nonEmpty
        default:
            if let simple = Self.simple(source) {
                self.kind = simple
            } else {
                // The model's patterns are fixed and known to compile.
                self.kind = .regex(try! NSRegularExpression(pattern: source, options: []))
            }
        }
    }

    /// Recognizes `letters[a-z0-9…]+`, `[0-9]+`, `\d*` and the like: most identifier patterns of the model.
    private static func simple(_ source: String) -> Kind? {
        var text = Substring(source)
        guard let quantifier = text.popLast(), quantifier == "+" || quantifier == "*" else { return nil }
        let set: Substring
        if text.hasSuffix("\\d") {
            set = "0-9"
            text.removeLast(2)
        } else if text.hasSuffix("]"), let open = text.lastIndex(of: "[") {
            set = text[text.index(after: open)..<text.index(before: text.endIndex)]
            text = text[..<open]
        } else {
            return nil
        }
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return nil }
        var allowed = [Bool](repeating: false, count: 128)
        let characters = Array(set.utf8)
        var index = 0
        while index < characters.count {
            let first = characters[index]
            guard first < 128, first != UInt8(ascii: "\\"), first != UInt8(ascii: "^") else { return nil }
            if index + 2 < characters.count, characters[index + 1] == UInt8(ascii: "-") {
                let last = characters[index + 2]
                guard last < 128, first <= last else { return nil }
                for byte in first...last { allowed[Int(byte)] = true }
                index += 3
            } else {
                allowed[Int(first)] = true
                index += 1
            }
        }
        return .simple(prefix: Array(text.utf8), allowed: allowed, atLeastOne: quantifier == "+")
    }

    /// Whether the entire value matches.
    public func matches(_ value: String) -> Bool {
        switch self.kind {
        case .anything: return true
        case .nonEmpty: return !value.isEmpty
        case .simple(let prefix, let allowed, let atLeastOne):
            let utf8 = value.utf8
            guard utf8.starts(with: prefix) else { return false }
            let rest = utf8.dropFirst(prefix.count)
            if atLeastOne && rest.isEmpty { return false }
            return rest.allSatisfy { $0 < 128 && allowed[Int($0)] }
        case .regex(let regex):
            let range = NSRange(value.startIndex..<value.endIndex, in: value)
            guard let match = regex.firstMatch(in: value, options: [.anchored], range: range) else { return false }
            return match.range == range
        }
    }
}
