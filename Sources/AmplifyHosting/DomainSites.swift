import AmplifyCore
import Foundation
import Synchronization

/// Sites on custom domains: a Host that is a subdomain of an AVAILABLE domain association serves that subdomain's
/// branch, static and compute alike, as on AWS (reached through a hosts-file entry, `curl --resolve` or a proxy).
/// A deleted association, or a subdomain an update removed, stops serving at the next request: the associations a
/// host may belong to are kept only while the store has had no write (`Store.writeGeneration`), and with a store that
/// other servers write too (PostgreSQL) they are read for every request; the app and branch are read afresh always.
final class DomainSites: Sendable {
    /// The associations read for each host, all at one write generation.
    private struct Kept {
        var generation = Int.min
        var associations: [String: [DomainAssociation]] = [:]
    }

    private let kept = Mutex(Kept())
    private static let capacity = 4096

    /// The site of `hostHeader` when it could be a custom domain; nil for none (and for hosts that are the API's:
    /// no dot, an IP address, `localhost`, AWS's own names).
    func site(_ hostHeader: String, store: any Store, now: Date) async throws -> (app: App, branch: Branch)? {
        guard let host = Self.domainName(hostHeader) else { return nil }
        let target = try await self.associations(of: host, store: store).lazy.compactMap { association in
            association.branchName(serving: host, at: now).map { (scope: association.scope, appId: association.appId, branchName: $0) }
        }.first
        guard let target else { return nil }
        do {
            let app = try await store.app(target.scope, appId: target.appId)
            return (app, try await store.branch(target.scope, appId: target.appId, branchName: target.branchName))
        } catch let error as AmplifyError where error.code == .notFound {
            return nil
        }
    }

    /// The associations whose name `host` is or is under. Which phase one is in depends on the time, so the
    /// associations are kept, never the branch they chose.
    private func associations(of host: String, store: any Store) async throws -> [DomainAssociation] {
        // Read before the store is: an answer read across a write is kept under the generation before it, never used.
        guard let generation = store.writeGeneration else {
            return try await store.domainAssociations(named: DomainAssociation.names(under: host))
        }
        if let associations = self.kept.withLock({ $0.generation == generation ? $0.associations[host] : nil }) {
            return associations
        }
        let associations = try await store.domainAssociations(named: DomainAssociation.names(under: host))
        self.kept.withLock { kept in
            guard generation >= kept.generation else { return }
            if generation > kept.generation || kept.associations.count >= Self.capacity {
                kept = Kept(generation: generation)
            }
            kept.associations[host] = associations
        }
        return associations
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
