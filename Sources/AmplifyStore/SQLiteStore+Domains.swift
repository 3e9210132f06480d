import AmplifyCore
import Foundation
import GRDB

/// Domain associations: a JSON document per row, unique by domain name within the account and region.
extension SQLiteStore {
    public func createDomainAssociation(_ domain: DomainAssociation) async throws {
        try await self.write { db in
            let appSeq = try Self.appSeq(db, domain.scope, domain.appId)
            let owner = try db.cachedValue(
                String.self,
                sql: """
                    SELECT app.appId FROM domain_association JOIN app ON app.seq = domain_association.appSeq
                    WHERE app.account = ? AND app.region = ? AND domain_association.domainName = ?
                    """,
                arguments: [domain.scope.account, domain.scope.region, domain.domainName]
            )
            try domain.requireCreatable(
                owner: owner, branchNames: Self.branchNames(db, appSeq: appSeq),
                count: Self.count(db, "domain_association", appSeq: appSeq, upTo: self.quotas.domainsPerApp), quotas: self.quotas
            )
            try db.cachedExecute(
                sql: "INSERT INTO domain_association (appSeq, domainName, document) VALUES (?, ?, ?)",
                arguments: [appSeq, domain.domainName, try Documents.encode(domain)]
            )
        }
    }

    public func domainAssociation(_ scope: Scope, appId: String, domainName: String) async throws -> DomainAssociation {
        try await self.database.read { db in try Self.domainRow(db, scope, appId, domainName).domain }
    }

    public func domainAssociations(named names: [String]) async throws -> [DomainAssociation] {
        guard !names.isEmpty else { return [] }
        return try await self.database.read { db in
            let marks = Array(repeating: "?", count: names.count).joined(separator: ", ")
            return try db.cachedRows(
                sql: "SELECT document FROM domain_association WHERE lower(domainName) IN (\(marks)) ORDER BY seq", arguments: StatementArguments(names)
            ).map { try Documents.decode(DomainAssociation.self, from: $0["document"]) }
        }
    }

    public func listDomainAssociations(_ scope: Scope, appId: String, after token: PageToken?, limit: Int) async throws -> Page<DomainAssociation> {
        try await self.database.read { db in
            try Self.documentPage(
                db, DomainAssociation.self, table: "domain_association", appSeq: Self.appSeq(db, scope, appId), after: token,
                limit: limit, list: .domains
            )
        }
    }

    public func updateDomainAssociation(
        _ scope: Scope, appId: String, domainName: String, _ update: @Sendable (inout DomainAssociation) throws -> Void
    ) async throws -> DomainAssociation {
        try await self.write { db in
            var (seq, domain) = try Self.domainRow(db, scope, appId, domainName)
            try update(&domain)
            try domain.requireBranches(among: Self.branchNames(db, appSeq: Self.appSeq(db, scope, appId)))
            try db.cachedExecute(
                sql: "UPDATE domain_association SET document = ? WHERE seq = ?", arguments: [try Documents.encode(domain), seq]
            )
            return domain
        }
    }

    public func deleteDomainAssociation(_ scope: Scope, appId: String, domainName: String) async throws -> DomainAssociation {
        try await self.write { db in
            let (seq, domain) = try Self.domainRow(db, scope, appId, domainName)
            try db.cachedExecute(sql: "DELETE FROM domain_association WHERE seq = ?", arguments: [seq])
            return domain
        }
    }

    // MARK: Rows

    static func domainRow(_ db: Database, _ scope: Scope, _ appId: String, _ domainName: String) throws -> (seq: Int64, domain: DomainAssociation) {
        let appSeq = try appSeq(db, scope, appId)
        guard
            let row = try db.cachedRow(
                sql: "SELECT seq, document FROM domain_association WHERE appSeq = ? AND domainName = ?", arguments: [appSeq, domainName]
            )
        else { throw AmplifyError.domainNotFound(domainName) }
        return (row["seq"], try Documents.decode(DomainAssociation.self, from: row["document"]))
    }

    /// The app's domain associations.
    static func domainAssociations(_ db: Database, appSeq: Int64) throws -> [DomainAssociation] {
        try db.cachedRows(sql: "SELECT document FROM domain_association WHERE appSeq = ?", arguments: [appSeq]).map { row in
            try Documents.decode(DomainAssociation.self, from: row["document"])
        }
    }

    /// Saves an association of the app `appSeq` (unique by name within it).
    static func save(_ db: Database, _ domain: DomainAssociation, appSeq: Int64) throws {
        try db.cachedExecute(
            sql: "UPDATE domain_association SET document = ? WHERE appSeq = ? AND domainName = ?",
            arguments: [try Documents.encode(domain), appSeq, domain.domainName]
        )
    }

    /// The names of the app's branches.
    static func branchNames(_ db: Database, appSeq: Int64) throws -> Set<String> {
        Set(try db.cachedValues(String.self, sql: "SELECT branchName FROM branch WHERE appSeq = ?", arguments: [appSeq]))
    }
}
