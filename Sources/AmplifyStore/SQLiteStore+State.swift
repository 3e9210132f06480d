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
            for state in snapshot.apps {
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
                    try db.cachedExecute(
                        sql: "INSERT INTO branch (appSeq, branchName, document) VALUES (?, ?, ?)",
                        arguments: [appSeq, branchState.branch.branchName, try Documents.encode(branchState.branch)]
                    )
                    let branchSeq = db.lastInsertedRowID
                    branchSeqs[branchState.branch.branchName] = branchSeq
                    for jobState in branchState.jobs {
                        try Self.insertJob(db, branchSeq: branchSeq, jobState.job)
                        if !jobState.tags.isEmpty {
                            try db.cachedExecute(
                                sql: "UPDATE job SET tags = ? WHERE branchSeq = ? AND jobId = ?",
                                arguments: [try Documents.encode(jobState.tags), branchSeq, jobState.job.key.jobId]
                            )
                        }
                    }
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
            return true
        }
    }
}
