import AmplifyCore
import Foundation
import PostgresNIO

/// Domain associations: a JSON document per row, unique by domain name within the account and region.
extension PostgresStore {
    public func createDomainAssociation(_ domain: DomainAssociation) async throws {
        try await self.write { connection in
            let appSeq = try await Self.appRow(connection, domain.scope, domain.appId, lock: true).seq
            // Two apps of one account may not take the same domain: creations of one domain name take turns.
            try await connection.run("SELECT pg_advisory_xact_lock(hashtext(\(domain.domainName)))")
            let owner = try await connection.row(
                """
                SELECT app.appId FROM domain_association JOIN app ON app.seq = domain_association.appSeq
                WHERE app.account = \(domain.scope.account) AND app.region = \(domain.scope.region)
                  AND domain_association.domainName = \(domain.domainName)
                """
            )?.decode(String.self)
            try domain.requireCreatable(
                owner: owner, branchNames: try await Self.branchNames(connection, appSeq: appSeq),
                count: try await Self.count(connection, "domain_association", appSeq: appSeq, upTo: self.quotas.domainsPerApp), quotas: self.quotas
            )
            try await connection.run(
                "INSERT INTO domain_association (appSeq, domainName, document) VALUES (\(appSeq), \(domain.domainName), \(try Documents.encode(domain)))"
            )
        }
    }

    public func domainAssociation(_ scope: Scope, appId: String, domainName: String) async throws -> DomainAssociation {
        try await self.read { connection in try await Self.domainRow(connection, scope, appId, domainName).domain }
    }

    public func domainAssociations(named names: [String]) async throws -> [DomainAssociation] {
        guard !names.isEmpty else { return [] }
        return try await self.read { connection in
            try await connection.rows("SELECT document FROM domain_association WHERE lower(domainName) = ANY(\(names)) ORDER BY seq").map { row in
                try Documents.decode(DomainAssociation.self, from: row.decode(Data.self))
            }
        }
    }

    public func listDomainAssociations(_ scope: Scope, appId: String, after token: PageToken?, limit: Int) async throws -> Page<DomainAssociation> {
        try await self.read { connection in
            try await Self.documentPage(
                connection, DomainAssociation.self, table: "domain_association", appSeq: Self.appSeq(connection, scope, appId), after: token,
                limit: limit, list: .domains
            )
        }
    }

    public func updateDomainAssociation(
        _ scope: Scope, appId: String, domainName: String, _ update: @Sendable (inout DomainAssociation) throws -> Void
    ) async throws -> DomainAssociation {
        try await self.write { connection in
            let appSeq = try await Self.appRow(connection, scope, appId, lock: true).seq
            var (seq, domain) = try await Self.domainRow(connection, scope, appId, domainName)
            try update(&domain)
            try domain.requireBranches(among: try await Self.branchNames(connection, appSeq: appSeq))
            try await connection.run("UPDATE domain_association SET document = \(try Documents.encode(domain)) WHERE seq = \(seq)")
            return domain
        }
    }

    public func deleteDomainAssociation(_ scope: Scope, appId: String, domainName: String) async throws -> DomainAssociation {
        try await self.write { connection in
            _ = try await Self.appRow(connection, scope, appId, lock: true)
            let (seq, domain) = try await Self.domainRow(connection, scope, appId, domainName)
            try await connection.run("DELETE FROM domain_association WHERE seq = \(seq)")
            return domain
        }
    }

    // MARK: Rows

    static func domainRow(_ connection: PostgresConnection, _ scope: Scope, _ appId: String, _ domainName: String) async throws -> (seq: Int64, domain: DomainAssociation) {
        let appSeq = try await appSeq(connection, scope, appId)
        let row = try await connection.row("SELECT seq, document FROM domain_association WHERE appSeq = \(appSeq) AND domainName = \(domainName)")
        guard let (seq, document) = try row?.decode((Int64, Data).self) else { throw AmplifyError.domainNotFound(domainName) }
        return (seq, try Documents.decode(DomainAssociation.self, from: document))
    }

    /// The app's domain associations.
    static func domainAssociations(_ connection: PostgresConnection, appSeq: Int64) async throws -> [DomainAssociation] {
        try await connection.rows("SELECT document FROM domain_association WHERE appSeq = \(appSeq)").map { row in
            try Documents.decode(DomainAssociation.self, from: try row.decode(Data.self))
        }
    }

    /// Saves an association of the app `appSeq` (unique by name within it).
    static func save(_ connection: PostgresConnection, _ domain: DomainAssociation, appSeq: Int64) async throws {
        try await connection.run(
            "UPDATE domain_association SET document = \(try Documents.encode(domain)) WHERE appSeq = \(appSeq) AND domainName = \(domain.domainName)"
        )
    }

    /// The names of the app's branches.
    static func branchNames(_ connection: PostgresConnection, appSeq: Int64) async throws -> Set<String> {
        Set(try await connection.rows("SELECT branchName FROM branch WHERE appSeq = \(appSeq)").map { try $0.decode(String.self) })
    }
}
