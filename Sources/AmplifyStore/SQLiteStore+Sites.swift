import AmplifyCore
import Foundation
import GRDB

extension SQLiteStore {
    public func publishSite(_ key: JobKey, now: Date) async throws -> Bool {
        try await self.write { db in
            let (appSeq, app) = try Self.appRow(db, key.scope, key.appId)
            let (branchSeq, branch) = try Self.branchRow(db, key.scope, key.appId, key.branchName)
            let (_, job) = try Self.jobRow(db, key)
            guard let publication = SitePublication(publishing: job, on: branch, of: app, now: now) else { return false }
            try Self.save(db, publication.branch, seq: branchSeq)
            if let app = publication.app { try Self.save(db, app, seq: appSeq) }
            return true
        }
    }

    public var writeGeneration: Int? { self.sites.generation }

    public func site(appId: String, displayName: String?) async throws -> (app: App, branch: Branch)? {
        let key = "\(appId)/\(displayName ?? "")"
        let (cached, generation) = self.sites.lookup(key)
        if let cached { return cached }
        let site = try await self.readSite(appId: appId, displayName: displayName)
        self.sites.store(site, for: key, generation: generation)
        return site
    }

    private func readSite(appId: String, displayName: String?) async throws -> (app: App, branch: Branch)? {
        try await self.database.read { db in
            guard let appRow = try db.cachedRow(sql: "SELECT seq, document FROM app WHERE appId = ? LIMIT 1", arguments: [appId]) else {
                return nil
            }
            let app = try Documents.decode(App.self, from: appRow[1] as Data)
            let rows = try db.cachedRows(sql: "SELECT document FROM branch WHERE appSeq = ? ORDER BY seq", arguments: [appRow[0] as Int64])
            let branches = try rows.map { try Documents.decode(Branch.self, from: $0[0] as Data) }
            return app.siteBranch(displayName: displayName, among: branches).map { (app, $0) }
        }
    }
}
