import AmplifyCore
import Foundation
import GRDB

/// Webhooks: rows under their app and branch, found by id within the caller's scope.
extension SQLiteStore {
    public func createWebhook(_ webhook: Webhook) async throws {
        try await self.write { db in
            let appSeq = try Self.appSeq(db, webhook.scope, webhook.appId)
            let branchSeq = try Self.branchSeq(db, webhook.scope, webhook.appId, webhook.branchName)
            try webhook.requireCreatable(count: Self.count(db, "webhook", appSeq: appSeq, upTo: self.quotas.webhooksPerApp), quotas: self.quotas)
            try Self.insertWebhook(db, webhook, appSeq: appSeq, branchSeq: branchSeq)
        }
    }

    public func webhook(_ scope: Scope?, webhookId: String) async throws -> Webhook {
        try await self.database.read { db in try Self.webhookRow(db, scope, webhookId).webhook }
    }

    public func listWebhooks(_ scope: Scope, appId: String, after token: PageToken?, limit: Int) async throws -> Page<Webhook> {
        try await self.database.read { db in
            let appSeq = try Self.appSeq(db, scope, appId)
            let rows = try db.cachedRows(
                sql: "\(Self.webhookQuery) WHERE webhook.appSeq = ? AND webhook.seq > ? ORDER BY webhook.seq LIMIT ?",
                arguments: [appSeq, token?.position ?? 0, limit + 1]
            )
            return Page(fetched: rows.map { ($0["seq"], Self.webhook($0)) }, limit: limit, list: .webhooks)
        }
    }

    public func updateWebhook(_ scope: Scope, webhookId: String, _ update: @Sendable (inout Webhook) throws -> Void) async throws -> Webhook {
        try await self.write { db in
            let (seq, old) = try Self.webhookRow(db, scope, webhookId)
            var webhook = old
            try update(&webhook)
            let branchSeq = try Self.branchSeq(db, scope, webhook.appId, webhook.branchName)
            try db.cachedExecute(
                sql: "UPDATE webhook SET branchSeq = ?, description = ?, updateTime = ? WHERE seq = ?",
                arguments: [branchSeq, webhook.description, webhook.updateTime.timeIntervalSince1970, seq]
            )
            return webhook
        }
    }

    public func deleteWebhook(_ scope: Scope, webhookId: String) async throws -> Webhook {
        try await self.write { db in
            let (seq, webhook) = try Self.webhookRow(db, scope, webhookId)
            try db.cachedExecute(sql: "DELETE FROM webhook WHERE seq = ?", arguments: [seq])
            return webhook
        }
    }

    // MARK: Rows

    static func insertWebhook(_ db: Database, _ webhook: Webhook, appSeq: Int64, branchSeq: Int64) throws {
        try db.cachedExecute(
            sql: """
                INSERT INTO webhook (webhookId, appSeq, branchSeq, description, token, createTime, updateTime)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                webhook.webhookId, appSeq, branchSeq, webhook.description, webhook.token,
                webhook.createTime.timeIntervalSince1970, webhook.updateTime.timeIntervalSince1970,
            ]
        )
    }

    /// Selects webhooks with columns in the order `webhook(_:)` reads them, then `seq` for paging.
    static let webhookQuery = """
        SELECT app.account, app.region, webhook.webhookId, app.appId, branch.branchName, webhook.description, webhook.token, \
        webhook.createTime, webhook.updateTime, webhook.seq AS seq
        FROM webhook JOIN app ON app.seq = webhook.appSeq JOIN branch ON branch.seq = webhook.branchSeq
        """

    static func webhookRow(_ db: Database, _ scope: Scope?, _ webhookId: String) throws -> (seq: Int64, webhook: Webhook) {
        guard
            let row = try db.cachedRow(
                sql: "\(webhookQuery) WHERE webhook.webhookId = ? AND (? IS NULL OR (app.account = ? AND app.region = ?))",
                arguments: [webhookId, scope?.account, scope?.account, scope?.region]
            )
        else { throw AmplifyError.webhookNotFound(webhookId) }
        return (row["seq"], webhook(row))
    }

    static func webhook(_ row: Row) -> Webhook {
        Webhook(
            scope: Scope(account: row[0], region: row[1]), webhookId: row[2], appId: row[3], branchName: row[4],
            description: row[5], token: row[6], createTime: Date(timeIntervalSince1970: row[7]),
            updateTime: Date(timeIntervalSince1970: row[8])
        )
    }
}
