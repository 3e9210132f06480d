/// One broken model constraint, worded as the service words it.
public struct ConstraintViolation: Sendable, Equatable, CustomStringConvertible {
    public var member: String
    public var description: String
}

/// Collects constraint violations while a generated `validate` walks an input.
public struct Validator: Sendable {
    public private(set) var violations: [ConstraintViolation] = []

    public init() {}

    /// The member path `parent.member`, or `member` at the top level.
    public static func path(_ parent: String?, _ member: String) -> String {
        parent.map { "\($0).\(member)" } ?? member
    }

    /// The service's message for a list of violations (`1 validation error detected: …`).
    public static func message(for violations: [ConstraintViolation]) -> String {
        let count = violations.count
        let noun = count == 1 ? "error" : "errors"
        return "\(count) validation \(noun) detected: " + violations.map(\.description).joined(separator: "; ")
    }

    public mutating func require(_ present: Bool, at member: String) {
        if !present {
            self.fail(member, "Value null at '\(member)' failed to satisfy constraint: Member must not be null")
        }
    }

    public mutating func check(
        _ value: String?, at member: String, min: Int? = nil, max: Int? = nil,
        pattern: WirePattern? = nil, oneOf allowed: [String]? = nil, sensitive: Bool = false
    ) {
        guard let value else { return }
        let shown = sensitive ? "Value at '\(member)'" : "Value '\(ViolationText.quote(value))' at '\(member)'"
        let length = value.utf16.count
        if let min, length < min {
            self.fail(member, "\(shown) failed to satisfy constraint: Member must have length greater than or equal to \(min)")
        }
        if let max, length > max {
            self.fail(member, "\(shown) failed to satisfy constraint: Member must have length less than or equal to \(max)")
        }
        if let pattern, !pattern.matches(value) {
            self.fail(member, "\(shown) failed to satisfy constraint: Member must satisfy regular expression pattern: \(pattern.source)")
        }
        if let allowed, !allowed.contains(value) {
            self.fail(member, "\(shown) failed to satisfy constraint: Member must satisfy enum value set: [\(allowed.joined(separator: ", "))]")
        }
    }

    public mutating func check(_ value: Int?, at member: String, min: Int? = nil, max: Int? = nil) {
        guard let value else { return }
        if let min, value < min {
            self.fail(member, "Value '\(value)' at '\(member)' failed to satisfy constraint: Member must have value greater than or equal to \(min)")
        }
        if let max, value > max {
            self.fail(member, "Value '\(value)' at '\(member)' failed to satisfy constraint: Member must have value less than or equal to \(max)")
        }
    }

    public mutating func check(count: Int?, at member: String, min: Int? = nil, max: Int? = nil) {
        guard let count else { return }
        if let min, count < min {
            self.fail(member, "Value at '\(member)' failed to satisfy constraint: Member must have length greater than or equal to \(min)")
        }
        if let max, count > max {
            self.fail(member, "Value at '\(member)' failed to satisfy constraint: Member must have length less than or equal to \(max)")
        }
    }

    private mutating func fail(_ member: String, _ text: String) {
        self.violations.append(ConstraintViolation(member: member, description: text))
    }
}

/// Values quoted in error messages are cut short: an error message is at most 255 characters.
enum ViolationText {
    static func quote(_ value: String) -> String {
        value.count <= 40 ? value : String(value.prefix(37)) + "..."
    }
}
