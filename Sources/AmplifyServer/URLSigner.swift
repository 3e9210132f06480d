import AmplifyCore
import AmplifyObjects
import Crypto
import Foundation

/// Makes the URLs the server hands out (step logs, upload URLs, access logs, thumbnails) unguessable and
/// short-lived, like S3's presigned URLs: `…?Expires=<epoch seconds>&Signature=<hex HMAC-SHA256>` over the
/// path and query before the signature, with a key only the server knows. The key is kept in the data
/// directory (`url-signing.key`, mode 0600), so URLs outlive a restart; an in-memory server makes one per run.
struct URLSigner: Sendable {
    let key: SymmetricKey
    /// How long a URL works after it was handed out.
    let lifetime: TimeInterval
    /// The key's HMAC before any text: copied for each signature (copy on write) instead of derived from the key again.
    private let keyed: HMAC<SHA256>

    init(key: SymmetricKey, lifetime: TimeInterval) {
        self.key = key
        self.lifetime = lifetime
        self.keyed = HMAC<SHA256>(key: key)
    }

    /// The key in `directory`, made on first use; a fresh one without a directory.
    static func key(in directory: String?) throws -> SymmetricKey {
        guard let directory else { return SymmetricKey(size: .bits256) }
        let path = (directory as NSString).appendingPathComponent("url-signing.key")
        if let key = Self.readKey(path) { return key }
        // Nodes sharing the directory may start together: each writes a candidate aside and links it into
        // place, which only the first does; all then use the key that is there.
        let candidate = path + ".\(UUID().uuidString)"
        let data = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        guard FileManager.default.createFile(atPath: candidate, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: candidate])
        }
        defer { unlink(candidate) }
        if link(candidate, path) != 0 && errno != EEXIST {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        guard let key = Self.readKey(path) else { throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path]) }
        return key
    }

    private static func readKey(_ path: String) -> SymmetricKey? {
        guard let data = FileManager.default.contents(atPath: path), data.count == 32 else { return nil }
        return SymmetricKey(data: data)
    }

    /// `pathAndQuery` (already percent-encoded) with `Expires` and `Signature` added.
    func sign(_ pathAndQuery: String, now: Date) -> String {
        let expires = Int((now.timeIntervalSince1970 + self.lifetime).rounded(.up))
        let unsigned = pathAndQuery + (pathAndQuery.utf8.contains(UInt8(ascii: "?")) ? "&" : "?") + "Expires=\(expires)"
        return unsigned + "&Signature=" + self.signature(unsigned)
    }

    enum Refusal: Error, Equatable {
        case missing, expired, mismatch
    }

    /// Checks a request's path and query (as sent) against its signature and expiry.
    func verify(_ pathAndQuery: String, now: Date) throws(Refusal) {
        guard let range = pathAndQuery.range(of: "&Signature=", options: .backwards) else { throw .missing }
        let unsigned = String(pathAndQuery[..<range.lowerBound])
        let given = String(pathAndQuery[range.upperBound...])
        guard let expiresRange = unsigned.range(of: "Expires=", options: .backwards),
            let expires = Double(unsigned[expiresRange.upperBound...])
        else { throw .missing }
        guard ConstantTime.equal(given, self.signature(unsigned)) else { throw .mismatch }
        guard now.timeIntervalSince1970 <= expires else { throw .expired }
    }

    private func signature(_ text: String) -> String {
        var mac = self.keyed
        var text = text
        text.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
        return Hex.lowercase(mac.finalize())
    }
}
