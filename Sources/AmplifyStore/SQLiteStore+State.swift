import AmplifyCore
import Foundation
import GRDB

/// Loading a whole state (`POST /_amplify-local/state`, `--init`): every row in one transaction; and dropping one
/// account and region's (a tenant's `POST /_amplify-local/reset` under `--auth strict`).
extension SQLiteStore {
    public func reset(_ scope: Scope) async throws -> [String] {
        try await self.write { db in
            let arguments: StatementArguments = [scope.account, scope.region]
            let appIds = try String.fetchAll(db, sql: "SELECT appId FROM app WHERE account = ? AND region = ? ORDER BY seq", arguments: arguments)
            // Branches, jobs, logs, webhooks, domains, backends, secrets and follows go with their app (ON DELETE CASCADE).
            try db.execute(sql: "DELETE FROM app WHERE account = ? AND region = ?", arguments: arguments)
            try db.execute(sql: "DELETE FROM app_count WHERE account = ? AND region = ?", arguments: arguments)
            return appIds
        }
    }

    public func load(_ snapshot: StateSnapshot, skipIfHeld: Bool) async throws -> Bool {
        try snapshot.validate(quotas: self.quotas)
        return try await self.write { db in
            guard try Self.canLoad(db, snapshot, skipIfHeld: skipIfHeld) else { return false }
            for state in snapshot.apps { try Self.insert(db, state) }
            return true
        }
    }

    /// Whether the snapshot may be loaded: false when a scope it fills has apps and `skipIfHeld`; throws when one has
    /// apps otherwise, or when an app or webhook id it uses is taken (in any scope).
    private static func canLoad(_ db: Database, _ snapshot: StateSnapshot, skipIfHeld: Bool) throws -> Bool {
        for scope in snapshot.scopes {
            let count = try db.cachedValue(Int.self, sql: "SELECT COUNT(*) FROM app WHERE account = ? AND region = ?", arguments: [scope.account, scope.region]) ?? 0
            guard try StateSnapshot.requireEmpty(scope, count: count, skipIfHeld: skipIfHeld) else { return false }
        }
        let takenApps = try Set(snapshot.appIds.filter { appId in
            try db.cachedValue(Bool.self, sql: "SELECT 1 FROM app WHERE appId = ? LIMIT 1", arguments: [appId]) ?? false
        })
        let takenWebhooks = try Set(snapshot.webhookIds.filter { webhookId in
            try db.cachedValue(Bool.self, sql: "SELECT 1 FROM webhook WHERE webhookId = ?", arguments: [webhookId]) ?? false
        })
        try snapshot.requireUnused(takenAppIds: takenApps, takenWebhookIds: takenWebhooks)
        return true
    }

    /// One app with everything under it: its scope's app count, branches with their jobs, webhooks, domains, backends.
    private static func insert(_ db: Database, _ state: StateSnapshot.AppState) throws {
        let app = state.app
        try db.cachedExecute(
            sql: """
                INSERT INTO app_count (account, region, apps) VALUES (?, ?, 1)
                ON CONFLICT (account, region) DO UPDATE SET apps = apps + 1
                """,
            arguments: [app.scope.account, app.scope.region]
        )
        try db.cachedExecute(
            sql: "INSERT INTO app (account, region, appId, document) VALUES (?, ?, ?, ?)",
            arguments: [app.scope.account, app.scope.region, app.appId, try Documents.encode(app)]
        )
        let appSeq = db.lastInsertedRowID
        var branchSeqs: [String: Int64] = [:]
        for branchState in state.branches {
            branchSeqs[branchState.branch.branchName] = try Self.insert(db, branchState, appSeq: appSeq)
        }
        for webhook in state.webhooks {
            // validate() saw that its branch is there.
            try Self.insertWebhook(db, webhook, appSeq: appSeq, branchSeq: branchSeqs[webhook.branchName] ?? 0)
        }
        for domain in state.domainAssociations {
            try db.cachedExecute(
                sql: "INSERT INTO domain_association (appSeq, domainName, document) VALUES (?, ?, ?)",
                arguments: [appSeq, domain.domainName, try Documents.encode(domain)]
            )
        }
        for environment in state.backendEnvironments {
            try Self.insertBackendEnvironment(db, environment, appSeq: appSeq)
        }
    }

    /// One branch with its jobs (their steps and tags); returns the branch's row id.
    private static func insert(_ db: Database, _ state: StateSnapshot.BranchState, appSeq: Int64) throws -> Int64 {
        try db.cachedExecute(
            sql: "INSERT INTO branch (appSeq, branchName, document) VALUES (?, ?, ?)",
            arguments: [appSeq, state.branch.branchName, try Documents.encode(state.branch)]
        )
        let branchSeq = db.lastInsertedRowID
        for jobState in state.jobs {
            try Self.insertJob(db, branchSeq: branchSeq, jobState.job)
            if !jobState.tags.isEmpty {
                try db.cachedExecute(
                    sql: "UPDATE job SET tags = ? WHERE branchSeq = ? AND jobId = ?",
                    arguments: [try Documents.encode(jobState.tags), branchSeq, jobState.job.key.jobId]
                )
            }
        }
        return branchSeq
    }
}
