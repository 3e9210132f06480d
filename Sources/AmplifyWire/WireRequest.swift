import Foundation

/// The parts of an HTTP request that operation inputs are bound from.
public struct WireRequest: Sendable {
    /// Path labels of the matched URI template, percent-decoded.
    public var labels: [String: String]
    /// Query parameters, percent-decoded, repeated keys kept in order.
    public var query: [String: [String]]
    /// The raw request body.
    public var body: Data

    public init(labels: [String: String] = [:], query: [String: [String]] = [:], body: Data = Data()) {
        self.labels = labels
        self.query = query
        self.body = body
    }

    /// Parses a raw query string (`a=1&b=x%2Fy`); returns nil when its percent-encoding is broken.
    public static func parseQuery(_ raw: Substring?) -> [String: [String]]? {
        var result: [String: [String]] = [:]
        guard let raw, !raw.isEmpty else { return result }
        for pair in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard
                let key = PercentDecoding.decode(parts[0], plusIsSpace: true),
                let value = PercentDecoding.decode(parts.count > 1 ? parts[1] : "", plusIsSpace: true)
            else { return nil }
            result[key, default: []].append(value)
        }
        return result
    }

    /// Refuses NUL characters anywhere in the input (a label, the query, a JSON string's `\u0000`): the
    /// stores cannot keep them as given (SQLite cuts text at them, PostgreSQL refuses them).
    public func requireNoNUL() throws(WireInputError) {
        for (name, value) in self.labels where value.utf8.contains(0) {
            throw WireInputError("Value at '\(name)' failed to satisfy constraint: Member must not contain NUL characters")
        }
        for (name, values) in self.query where name.utf8.contains(0) || values.contains(where: { $0.utf8.contains(0) }) {
            throw WireInputError("Value at '\(name)' failed to satisfy constraint: Member must not contain NUL characters")
        }
        if Self.hasEscapedNUL(self.body) {
            throw WireInputError("The request body has a NUL character (\\u0000) in a string; amplify-local does not store them.")
        }
    }

    /// Whether JSON text has the escape `\u0000` (not `\\u0000`, an escaped backslash and then `u0000`).
    static func hasEscapedNUL(_ body: Data) -> Bool {
        let bytes = Array(body)
        let escape = Array("\\u0000".utf8)
        var index = 0
        while index + escape.count <= bytes.count {
            if bytes[index] == UInt8(ascii: "\\") && Array(bytes[index..<(index + escape.count)]) == escape {
                var backslashes = 0
                var before = index
                while before > 0 && bytes[before - 1] == UInt8(ascii: "\\") {
                    backslashes += 1
                    before -= 1
                }
                if backslashes % 2 == 0 { return true }
            }
            index += 1
        }
        return false
    }

    public func label(_ name: String) -> String? {
        self.labels[name]
    }

    public func queryString(_ name: String) -> String? {
        self.query[name]?.last
    }

    public func queryList(_ name: String) -> [String]? {
        self.query[name]
    }

    public func queryInteger(_ name: String) throws(WireInputError) -> Int? {
        guard let text = self.query[name]?.last else { return nil }
        guard let value = Int(text) else {
            throw WireInputError("Value '\(ViolationText.quote(text))' at '\(name)' failed to satisfy constraint: Member must be an integer")
        }
        return value
    }

    /// Decodes the JSON body; an empty body is an empty object, as botocore sends `{}` for no members.
    public func decodeBody<T: Decodable>(_ type: T.Type) throws(WireInputError) -> T {
        let body = self.body.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 } ? Data("{}".utf8) : self.body
        do {
            return try WireJSON.decoder.decode(T.self, from: body)
        } catch let error as DecodingError {
            throw WireInputError(Self.describe(error))
        } catch {
            throw WireInputError("The request body is not valid JSON.")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { String($0 + 1) } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            let member = path(context.codingPath)
            if member.isEmpty { return "The request body must be a JSON object." }
            return "Value at '\(member)' failed to satisfy constraint: Member must be of type \(Self.typeName(type))"
        case .dataCorrupted(let context):
            let member = path(context.codingPath)
            if member.isEmpty { return "The request body is not valid JSON." }
            return "Value at '\(member)' failed to satisfy constraint: \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "Value null at '\(path(context.codingPath + [key]))' failed to satisfy constraint: Member must not be null"
        @unknown default:
            return "The request body could not be read."
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "string"
        case is Bool.Type: "boolean"
        case is Int.Type: "integer"
        case is Date.Type: "timestamp"
        case is Double.Type: "number"
        default: String(describing: type).contains("Dictionary") ? "map" : String(describing: type).contains("Array") ? "list" : "structure"
        }
    }
}
