import AmplifyCore
import Foundation
import PostgresNIO

/// Webhooks: rows under their app and branch, found by id within the caller's scope.
extension PostgresStore {
    public func createWebhook(_ webhook: Webhook) async throws {
        try await self.write { connection in
            let appSeq = try await Self.appRow(connection, webhook.scope, webhook.appId, lock: true).seq
            let branchSeq = try await Self.branchSeq(connection, webhook.scope, webhook.appId, webhook.branchName)
            try webhook.requireCreatable(
                count: try await Self.count(connection, "webhook", appSeq: appSeq, upTo: self.quotas.webhooksPerApp), quotas: self.quotas
            )
            try await Self.insertWebhook(connection, webhook, appSeq: appSeq, branchSeq: branchSeq)
        }
    }

    public func webhook(_ scope: Scope?, webhookId: String) async throws -> Webhook {
        try await self.read { connection in try await Self.webhookRow(connection, scope, webhookId).value }
    }

    public func listWebhooks(_ scope: Scope, appId: String, after token: PageToken?, limit: Int) async throws -> Page<Webhook> {
        try await self.read { connection in
            let appSeq = try await Self.appSeq(connection, scope, appId)
            let rows = try await connection.rows(
                """
                \(unescaped: Self.webhookQuery) WHERE webhook.appSeq = \(appSeq) AND webhook.seq > \(token?.position ?? 0)
                ORDER BY webhook.seq LIMIT \(limit + 1)
                """
            )
            return Page(fetched: try rows.map { try Self.webhook($0) }, limit: limit, list: .webhooks)
        }
    }

    public func updateWebhook(_ scope: Scope, webhookId: String, _ update: @Sendable (inout Webhook) throws -> Void) async throws -> Webhook {
        try await self.write { connection in
            let found = try await Self.webhookRow(connection, scope, webhookId)
            _ = try await Self.appRow(connection, scope, found.value.appId, lock: true)
            let (seq, old) = try await Self.webhookRow(connection, scope, webhookId)
            var webhook = old
            try update(&webhook)
            let branchSeq = try await Self.branchSeq(connection, scope, webhook.appId, webhook.branchName)
            try await connection.run(
                """
                UPDATE webhook SET branchSeq = \(branchSeq), description = \(webhook.description),
                                   updateTime = \(webhook.updateTime.timeIntervalSince1970)
                WHERE seq = \(seq)
                """
            )
            return webhook
        }
    }

    public func deleteWebhook(_ scope: Scope, webhookId: String) async throws -> Webhook {
        try await self.write { connection in
            let found = try await Self.webhookRow(connection, scope, webhookId)
            _ = try await Self.appRow(connection, scope, found.value.appId, lock: true)
            let (seq, webhook) = try await Self.webhookRow(connection, scope, webhookId)
            try await connection.run("DELETE FROM webhook WHERE seq = \(seq)")
            return webhook
        }
    }

    // MARK: Rows

    static func insertWebhook(_ connection: PostgresConnection, _ webhook: Webhook, appSeq: Int64, branchSeq: Int64) async throws {
        try await connection.run(
            """
            INSERT INTO webhook (webhookId, appSeq, branchSeq, description, token, createTime, updateTime)
            VALUES (\(webhook.webhookId), \(appSeq), \(branchSeq), \(webhook.description), \(webhook.token),
                    \(webhook.createTime.timeIntervalSince1970), \(webhook.updateTime.timeIntervalSince1970))
            """
        )
    }

    /// Selects webhooks with columns in the order `webhook(_:)` reads them, `seq` last.
    static let webhookQuery = """
        SELECT app.account, app.region, webhook.webhookId, app.appId, branch.branchName, webhook.description, webhook.token, \
        webhook.createTime, webhook.updateTime, webhook.seq
        FROM webhook JOIN app ON app.seq = webhook.appSeq JOIN branch ON branch.seq = webhook.branchSeq
        """

    static func webhookRow(_ connection: PostgresConnection, _ scope: Scope?, _ webhookId: String) async throws -> (seq: Int64, value: Webhook) {
        let row = try await connection.row(
            """
            \(unescaped: webhookQuery) WHERE webhook.webhookId = \(webhookId)
              AND (\(scope == nil) OR (app.account = \(scope?.account ?? "") AND app.region = \(scope?.region ?? "")))
            """
        )
        guard let row else { throw AmplifyError.webhookNotFound(webhookId) }
        return try webhook(row)
    }

    static func webhook(_ row: PostgresRow) throws -> (seq: Int64, value: Webhook) {
        let (account, region, webhookId, appId, branchName, description, token, createTime, updateTime, seq) =
            try row.decode((String, String, String, String, String, String, String, Double, Double, Int64).self)
        let webhook = Webhook(
            scope: Scope(account: account, region: region), webhookId: webhookId, appId: appId, branchName: branchName,
            description: description, token: token, createTime: Date(timeIntervalSince1970: createTime),
            updateTime: Date(timeIntervalSince1970: updateTime)
        )
        return (seq, webhook)
    }
}
