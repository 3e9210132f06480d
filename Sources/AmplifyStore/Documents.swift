import Foundation
import Synchronization

/// The JSON documents stores keep domain values in.
enum Documents {
    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        return try encoder.encode(value)
    }

    /// The value `data` holds. The same bytes always decode to the same value, so recent ones are kept by their bytes:
    /// a use case that reads the app and branch it just read (StartJob, a site, GetApp after ListApps) compares bytes
    /// instead of running Foundation's JSONDecoder again (a third of StartJob's transaction, measured).
    static func decode<T: Decodable & Sendable>(_ type: T.Type, from data: Data) throws -> T {
        let key = DecodedKey(type: ObjectIdentifier(T.self), data: data)
        if let value = decoded.withLock({ $0[key] }) as? T { return value }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        let value = try decoder.decode(T.self, from: data)
        decoded.withLock { cache in
            if cache.count >= Self.decodedCapacity { cache.removeAll(keepingCapacity: true) }
            cache[key] = value
        }
        return value
    }

    /// The bytes a document holds when it has a member `name` (`"name":`): a query may leave out, unread, the documents
    /// without them. JSONEncoder leaves nil members out, and inside a string every quote is escaped, so no string
    /// value holds them; a document that does is still decoded and checked.
    static func member(_ name: String) -> Data {
        Data("\"\(name)\":".utf8)
    }

    private static let decodedCapacity = 1024
    private static let decoded = Mutex<[DecodedKey: any Sendable]>([:])

    /// A document's type and bytes, hashed over every byte (documents of one account share long prefixes).
    private struct DecodedKey: Hashable, Sendable {
        let type: ObjectIdentifier
        let data: Data

        func hash(into hasher: inout Hasher) {
            hasher.combine(self.type)
            self.data.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }
}
