import AmplifyCore
import Foundation

/// The JSON form of `StateSnapshot` on the wire (`/_amplify-local/state`, `--init FILE`): times as epoch seconds,
/// keys sorted. A document that cannot be read is a BadRequestException that names the member at fault.
enum StateDocument {
    static func encode(_ snapshot: StateSnapshot) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(snapshot))
    }

    static func decode(_ bytes: [UInt8]) throws(AmplifyError) -> StateSnapshot {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        do {
            return try decoder.decode(StateSnapshot.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw .badRequest("The state document cannot be read: \(Self.describe(error))")
        } catch {
            throw .badRequest("The state document is not valid JSON.")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let text = codingPath.map { $0.intValue.map { String($0 + 1) } ?? $0.stringValue }.joined(separator: ".")
            return text.isEmpty ? "the document" : text
        }
        switch error {
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): must be a \(type)."
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): is required."
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
