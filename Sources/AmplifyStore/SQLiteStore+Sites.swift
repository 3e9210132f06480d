import AmplifyCore
import Foundation
import GRDB

extension SQLiteStore {
    public func publishSite(_ key: JobKey, now: Date) async throws -> Bool {
        try await self.write { db in
            let (_, job) = try Self.jobRow(db, key)
            guard job.status == .running else { return false }
            var (branchSeq, branch) = try Self.branchRow(db, key.scope, key.appId, key.branchName)
            branch.liveJobId = key.jobId
            branch.lastDeployTime = now
            try db.cachedExecute(sql: "UPDATE branch SET document = ? WHERE seq = ?", arguments: [try Documents.encode(branch), branchSeq])
            var (appSeq, app) = try Self.appRow(db, key.scope, key.appId)
            if app.productionBranch == nil || app.productionBranch?.branchName == branch.branchName || branch.stage == "PRODUCTION" {
                app.productionBranch = ProductionBranch(branchName: branch.branchName, lastDeployTime: now)
                try db.cachedExecute(sql: "UPDATE app SET document = ? WHERE seq = ?", arguments: [try Documents.encode(app), appSeq])
            }
            return true
        }
    }

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
            let wanted = displayName ?? app.productionBranch.map { name in branches.first { $0.branchName == name.branchName }?.displayName } ?? nil
            guard let wanted, let branch = branches.first(where: { $0.displayName == wanted }) else { return nil }
            return (app, branch)
        }
    }

    /// The branch's site is gone (its live job or the branch was deleted): the app has no production branch if it was that one.
    static func takeDown(_ db: Database, _ scope: Scope, _ appId: String, branchName: String) throws {
        var (appSeq, app) = try Self.appRow(db, scope, appId)
        guard app.productionBranch?.branchName == branchName else { return }
        app.productionBranch = nil
        try db.cachedExecute(sql: "UPDATE app SET document = ? WHERE seq = ?", arguments: [try Documents.encode(app), appSeq])
    }
}
