import AmplifyCore
import Foundation
import Synchronization

/// Sites on custom domains: a Host that is a subdomain of an AVAILABLE domain association serves that subdomain's
/// branch, static and compute alike, as on AWS (reached through a hosts-file entry, `curl --resolve` or a proxy).
/// Which branch a host names is looked up at most once a second per host, so a deleted association stops serving
/// within a second; the app and branch are read afresh for every request.
final class DomainSites: Sendable {
    private struct Entry {
        var target: (scope: Scope, appId: String, branchName: String)?
        var until: ContinuousClock.Instant
    }

    private let entries = Mutex<[String: Entry]>([:])
    private static let lifetime: Duration = .seconds(1)

    /// The site of `hostHeader` when it could be a custom domain; nil for none (and for hosts that are the API's:
    /// no dot, an IP address, `localhost`, AWS's own names).
    func site(_ hostHeader: String, store: any Store, now: Date) async throws -> (app: App, branch: Branch)? {
        guard let host = Self.domainName(hostHeader) else { return nil }
        let cached = self.entries.withLock { $0[host] }
        let target: (scope: Scope, appId: String, branchName: String)?
        if let cached, cached.until > ContinuousClock.now {
            target = cached.target
        } else {
            let associations = try await store.domainAssociations(named: DomainAssociation.names(under: host))
            target = associations.lazy.compactMap { association in
                association.branchName(serving: host, at: now).map { (association.scope, association.appId, $0) }
            }.first
            self.entries.withLock { entries in
                if entries.count >= 4096 { entries.removeAll() }
                entries[host] = Entry(target: target, until: ContinuousClock.now + Self.lifetime)
            }
        }
        guard let target else { return nil }
        do {
            let app = try await store.app(target.scope, appId: target.appId)
            return (app, try await store.branch(target.scope, appId: target.appId, branchName: target.branchName))
        } catch let error as AmplifyError where error.code == .notFound {
            return nil
        }
    }

    /// The lowercase host name without port, when it could be a custom domain.
    static func domainName(_ hostHeader: String) -> String? {
        let name = HostName.bytes(hostHeader)
        guard name.contains(UInt8(ascii: ".")), name.first != UInt8(ascii: "["), !name.allSatisfy({ HostName.isDigit($0) || $0 == UInt8(ascii: ".") })
        else { return nil }
        let domain = String(decoding: name, as: UTF8.self)
        guard !Self.apiSuffixes.contains(where: domain.hasSuffix) else { return nil }
        return domain
    }

    private static let apiSuffixes = [".localhost", ".amazonaws.com", ".amplifyapp.com"]
}
