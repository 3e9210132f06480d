import Foundation

/// Namespace of the service's wire shapes, generated from botocore's model into `Generated/`.
public enum Wire {}

/// An operation input that can be read from an HTTP request (path labels, query string, JSON body).
///
/// Inputs are typed (required members non-optional, model enums as Swift enums); each is read as its
/// `Unvalidated` form, checked against the model's constraints, then converted.
public protocol WireInput: Sendable {
    /// The input as read from the request, every member optional and enums as strings.
    associatedtype Unvalidated: WireValidatable

    /// Reads the input from the request and checks it against the model; a violation is a `WireInputError`
    /// that names every broken constraint.
    static func decode(_ request: WireRequest) throws(WireInputError) -> Self

    /// The typed form of an input that passed validation.
    init(validated raw: Unvalidated) throws(WireInputError)
}

extension WireInput {
    /// Checks `raw` against the model's constraints, then converts it.
    public init(validating raw: Unvalidated) throws(WireInputError) {
        let violations = raw.violations()
        guard violations.isEmpty else { throw WireInputError(Validator.message(for: violations)) }
        try self.init(validated: raw)
    }
}

/// A shape that checks its members against the model's constraints.
public protocol WireValidatable {
    /// Records every constraint violation of this value, found at `path` (nil at the top level).
    func validate(_ validator: inout Validator, at path: String?)
}

extension WireValidatable {
    /// The value's constraint violations, as the service reports them.
    public func violations() -> [ConstraintViolation] {
        var validator = Validator()
        self.validate(&validator, at: nil)
        return validator.violations
    }
}

/// What generated conversions from validated raw inputs use. Validation has already refused what these refuse,
/// so their errors are a second line only, worded as the validator words them.
public enum WireConversion {
    public static func required<Value>(_ value: Value?, at member: String) throws(WireInputError) -> Value {
        guard let value else {
            throw WireInputError("Value null at '\(member)' failed to satisfy constraint: Member must not be null")
        }
        return value
    }

    public static func enumValue<Value: RawRepresentable & CaseIterable>(_ text: String, at member: String) throws(WireInputError) -> Value
    where Value.RawValue == String {
        guard let value = Value(rawValue: text) else {
            let allowed = Value.allCases.map(\.rawValue).joined(separator: ", ")
            throw WireInputError(
                "Value '\(ViolationText.quote(text))' at '\(member)' failed to satisfy constraint: Member must satisfy enum value set: [\(allowed)]"
            )
        }
        return value
    }
}
