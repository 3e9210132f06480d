import AmplifyCore
import Crypto
import Foundation

/// Seals build secrets' values for the store (AES-GCM, a fresh nonce each, authenticated with where the secret
/// belongs, so a sealed value copied to another secret's row does not open) and opens them for builds. The key is
/// derived from the server's key in the data directory (`url-signing.key`): every node that shares the directory
/// opens what any sealed, and nothing else needs storing.
public struct SecretBox: Sendable {
    private let key: SymmetricKey

    init(serverKey: SymmetricKey) {
        self.key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: serverKey, info: Data("amplify-local build secrets v1".utf8), outputByteCount: 32
        )
    }

    /// The box of the server whose data directory is `directory`.
    public init(dataDirectory directory: String) throws {
        self.init(serverKey: try URLSigner.key(in: directory))
    }

    func seal(_ value: [UInt8], for secret: BuildSecret) throws -> [UInt8] {
        guard let combined = try AES.GCM.seal(value, using: self.key, authenticating: Self.context(secret)).combined else {
            throw CocoaError(.coderInvalidValue)
        }
        return Array(combined)
    }

    func open(_ sealed: [UInt8], for secret: BuildSecret) throws -> String {
        let box = try AES.GCM.SealedBox(combined: sealed)
        return String(decoding: try AES.GCM.open(box, using: self.key, authenticating: Self.context(secret)), as: UTF8.self)
    }

    /// The values that apply to a branch's builds (the app's, the branch's over them), opened.
    func values(_ store: any Store, scope: Scope, appId: String, branchName: String) async throws -> [String: String] {
        let secrets = try await store.secrets(scope, appId: appId)
        return try BuildSecret.effective(secrets.map { ($0.secret, try self.open($0.sealed, for: $0.secret)) }, branchName: branchName)
    }

    private static func context(_ secret: BuildSecret) -> Data {
        Data([secret.scope.account, secret.scope.region, secret.appId, secret.branchName ?? "", secret.name].joined(separator: "\u{0}").utf8)
    }
}
