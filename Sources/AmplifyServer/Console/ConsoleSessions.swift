import AmplifyCore
import Crypto
import Foundation
import Synchronization

/// Who uses the console, and the token its forms carry against cross-site requests. Under `--auth strict` a person
/// signs in with an access key id and secret of the credentials file: a random session token goes in an HttpOnly,
/// SameSite=Strict cookie, the session sees that key's account only, and it ends on sign-out or after `idleLimit`
/// without a request. Otherwise the console is open, as the API is, and its forms carry a token of the server's own.
/// Every form and action carries the CSRF token (a form field `csrf` or the `X-CSRF-Token` header): an HMAC of the
/// session, under the server's signing key.
final class ConsoleSessions: Sendable {
    struct Session: Sendable {
        var accessKeyId: String
        var account: String
        var lastSeen: Date
    }

    static let cookie = "amplify-local-console"
    private let sessions = Mutex<[String: Session]>([:])
    private let key: SymmetricKey
    let idleLimit: TimeInterval

    init(serverKey: SymmetricKey, idleLimit: TimeInterval) {
        self.key = serverKey
        self.idleLimit = idleLimit
    }

    /// A new session for a signed-in key; its token.
    func open(accessKeyId: String, account: String, now: Date) -> String {
        var generator = SystemRandomNumberGenerator()
        let token = (0..<4).map { _ in String(generator.next() as UInt64, radix: 16) }.joined()
        self.sessions.withLock { sessions in
            sessions = sessions.filter { now.timeIntervalSince($0.value.lastSeen) < self.idleLimit }
            sessions[token] = Session(accessKeyId: accessKeyId, account: account, lastSeen: now)
        }
        return token
    }

    /// The session of `token` when it has not expired (its idle time starts again).
    func session(_ token: String?, now: Date) -> Session? {
        guard let token else { return nil }
        return self.sessions.withLock { sessions in
            guard var session = sessions[token] else { return nil }
            guard now.timeIntervalSince(session.lastSeen) < self.idleLimit else {
                sessions.removeValue(forKey: token)
                return nil
            }
            session.lastSeen = now
            sessions[token] = session
            return session
        }
    }

    func close(_ token: String?) {
        guard let token else { return }
        _ = self.sessions.withLock { $0.removeValue(forKey: token) }
    }

    /// The CSRF token of a session (nil: the open console's).
    func csrf(for token: String?) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("console-csrf:\(token ?? "open")".utf8), using: self.key)
        return Data(mac).base64EncodedString().replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "=", with: "")
    }

    func checkCSRF(_ given: String?, for token: String?) -> Bool {
        guard let given else { return false }
        return ConstantTime.equal(given, self.csrf(for: token))
    }
}
