import Foundation

/// A model pattern, matched against the whole value as the service does.
public struct WirePattern: Sendable {
    /// The pattern as the model writes it (shown in error messages).
    public let source: String
    private let kind: Kind

    private enum Kind: @unchecked Sendable {
        case anything
        case nonEmpty
        case regex(NSRegularExpression)
    }

    public init(_ source: String) {
        self.source = source
        switch source {
        case "(?s).*": self.kind = .anything
        case "(?s).+": self.kind = .nonEmpty
        default:
            // The model's patterns are fixed and known to compile.
            self.kind = .regex(try! NSRegularExpression(pattern: source, options: []))
        }
    }

    /// Whether the entire value matches.
    public func matches(_ value: String) -> Bool {
        switch self.kind {
        case .anything: return true
        case .nonEmpty: return !value.isEmpty
        case .regex(let regex):
            let range = NSRange(value.startIndex..<value.endIndex, in: value)
            guard let match = regex.firstMatch(in: value, options: [.anchored], range: range) else { return false }
            return match.range == range
        }
    }
}
