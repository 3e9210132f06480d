import AmplifyCore
import Foundation

/// The JSON body of an admin request, read member by member: a missing, unknown or ill-typed member is a
/// BadRequestException (400) that names it (`count: must be a whole number of at least 1.`).
struct AdminBody {
    private let object: [String: Any]
    /// Where the body came from, for messages (`rule 2 of rules.json`), or nil for a request's.
    private let origin: String?

    init(_ bytes: [UInt8], origin: String? = nil) throws(AmplifyError) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes.isEmpty ? Array("{}".utf8) : bytes)) as? [String: Any] else {
            throw .badRequest("\(origin.map { "\($0): " } ?? "")The body must be a JSON object.")
        }
        self.init(object, origin: origin)
    }

    init(_ object: [String: Any], origin: String?) {
        self.object = object
        self.origin = origin
    }

    func fail(_ member: String, _ problem: String) -> AmplifyError {
        .badRequest("\(self.origin.map { "\($0): " } ?? "")\(member): \(problem)")
    }

    /// Refuses members the endpoint does not know (a typo would otherwise be ignored).
    func requireOnly(_ known: Set<String>) throws(AmplifyError) {
        if let unknown = self.object.keys.sorted().first(where: { !known.contains($0) }) {
            throw self.fail(unknown, "not a member of this request (members: \(known.sorted().joined(separator: ", "))).")
        }
    }

    func has(_ name: String) -> Bool { self.object[name] != nil && !(self.object[name] is NSNull) }

    func string(_ name: String) throws(AmplifyError) -> String? {
        guard self.has(name) else { return nil }
        guard let value = self.object[name] as? String, !value.isEmpty else { throw self.fail(name, "must be a non-empty string.") }
        return value
    }

    func requiredString(_ name: String) throws(AmplifyError) -> String {
        guard let value = try self.string(name) else { throw self.fail(name, "is required.") }
        return value
    }

    /// One of `allowed`.
    func choice(_ name: String, _ allowed: [String]) throws(AmplifyError) -> String? {
        guard let value = try self.string(name) else { return nil }
        guard allowed.contains(value) else { throw self.fail(name, "'\(value)' is not one of \(allowed.joined(separator: ", ")).") }
        return value
    }

    func number(_ name: String, in range: ClosedRange<Double> = -.greatestFiniteMagnitude ... .greatestFiniteMagnitude) throws(AmplifyError) -> Double? {
        guard self.has(name) else { return nil }
        guard let number = self.object[name] as? NSNumber, !Self.isBoolean(self.object[name]), range.contains(number.doubleValue) else {
            throw self.fail(name, "must be a number from \(Self.show(range.lowerBound)) to \(Self.show(range.upperBound)).")
        }
        return number.doubleValue
    }

    func integer(_ name: String, atLeast minimum: Int) throws(AmplifyError) -> Int? {
        guard self.has(name) else { return nil }
        guard let number = self.object[name] as? NSNumber, !Self.isBoolean(self.object[name]), let value = Int(exactly: number.doubleValue), value >= minimum
        else { throw self.fail(name, "must be a whole number of at least \(minimum).") }
        return value
    }

    /// A job id, as the API writes it (`"3"`) or as a number.
    func jobId(_ name: String) throws(AmplifyError) -> Int? {
        guard self.has(name) else { return nil }
        if let text = self.object[name] as? String, let value = Int(text), value >= 1 { return value }
        return try self.integer(name, atLeast: 1)
    }

    func strings(_ name: String) throws(AmplifyError) -> [String]? {
        guard self.has(name) else { return nil }
        guard let values = self.object[name] as? [String], !values.isEmpty else { throw self.fail(name, "must be a non-empty list of strings.") }
        return values
    }

    /// A nested object, read as a body of its own.
    /// The body's member names.
    var keys: [String] { Array(self.object.keys) }

    func object(_ name: String) -> AdminBody? {
        (self.object[name] as? [String: Any]).map { AdminBody($0, origin: self.origin.map { "\($0): \(name)" } ?? name) }
    }

    /// A time: epoch seconds, or an ISO-8601 text.
    func date(_ name: String) throws(AmplifyError) -> Date? {
        guard self.has(name) else { return nil }
        if let number = self.object[name] as? NSNumber, !Self.isBoolean(self.object[name]) { return Date(timeIntervalSince1970: number.doubleValue) }
        if let text = self.object[name] as? String, let date = try? Date(text, strategy: .iso8601) { return date }
        throw self.fail(name, "must be a time: epoch seconds, or ISO-8601 text (2026-12-01T10:00:00Z).")
    }

    /// JSON's true and false (Foundation's numbers also cast to Bool, so `is Bool` cannot tell).
    private static func isBoolean(_ value: Any?) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c"
    }

    private static func show(_ value: Double) -> String {
        value.magnitude >= 1e300 ? (value < 0 ? "-∞" : "∞") : (value == value.rounded() ? String(Int(value)) : String(value))
    }
}
