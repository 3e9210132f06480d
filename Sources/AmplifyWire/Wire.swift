import Foundation

/// Namespace of the service's wire shapes, generated from botocore's model into `Generated/`.
public enum Wire {}

/// An operation input that can be read from an HTTP request (path labels, query string, JSON body).
public protocol WireInput: WireValidatable, Sendable {
    /// Reads the input from the request, with no validation beyond JSON types.
    static func decode(_ request: WireRequest) throws(WireInputError) -> Self
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
