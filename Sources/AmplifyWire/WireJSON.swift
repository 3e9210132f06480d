import Foundation

/// Reading request bodies: timestamps are epoch seconds (fractions allowed), ISO 8601 accepted too.
/// (Responses are written by `JSONWriter`.)
public enum WireJSON {
    /// One decoder for every request: it is configured once and never changed.
    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            if let seconds = try? container.decode(Double.self) {
                return Date(timeIntervalSince1970: seconds)
            }
            let text = try container.decode(String.self)
            if let seconds = Double(text) {
                return Date(timeIntervalSince1970: seconds)
            }
            if let date = try? Date(text, strategy: .iso8601) {
                return date
            }
            if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
                return date
            }
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "Member must be a timestamp in epoch seconds")
        }
        return decoder
    }()
}
