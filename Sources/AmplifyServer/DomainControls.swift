import AmplifyCore
import Synchronization

/// Outcomes a test asked for domain associations that do not exist yet (`POST /_amplify-local/domains/control`
/// before CreateDomainAssociation): the association takes its outcome when it is created.
final class DomainControls: Sendable {
    private struct Key: Hashable {
        var scope: Scope
        var appId: String
        var domainName: String
    }

    private let pending = Mutex<[Key: DomainAssociation.Outcome]>([:])

    func set(_ outcome: DomainAssociation.Outcome, scope: Scope, appId: String, domainName: String) {
        self.pending.withLock { $0[Key(scope: scope, appId: appId, domainName: domainName)] = outcome }
    }

    /// The outcome waiting for this association, taken (it applies once).
    func take(scope: Scope, appId: String, domainName: String) -> DomainAssociation.Outcome? {
        self.pending.withLock { $0.removeValue(forKey: Key(scope: scope, appId: appId, domainName: domainName)) }
    }

    /// Forgets the outcomes waiting in one account and region (a tenant's reset).
    func removeAll(in scope: Scope) {
        self.pending.withLock { pending in pending = pending.filter { $0.key.scope != scope } }
    }

    func removeAll() {
        self.pending.withLock { $0.removeAll() }
    }
}
