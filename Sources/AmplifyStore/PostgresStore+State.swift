import AmplifyCore
import Foundation
import PostgresNIO

/// Loading a whole state (`POST /_amplify-local/state`, `--init`): every row in one transaction; and dropping one
/// account and region's (a tenant's `POST /_amplify-local/reset` under `--auth strict`).
extension PostgresStore {
    public func reset(_ scope: Scope) async throws -> [String] {
        try await self.write { connection in
            // The scope's app counter row, locked first, makes this take turns with creations and loads in the scope.
            try await connection.run(
                "SELECT apps FROM app_count WHERE account = \(scope.account) AND region = \(scope.region) FOR UPDATE"
            )
            // Branches, jobs, logs, webhooks, domains, backends, secrets and follows go with their app (ON DELETE CASCADE).
            let rows = try await connection.rows(
                "DELETE FROM app WHERE account = \(scope.account) AND region = \(scope.region) RETURNING seq, appId"
            )
            try await connection.run("DELETE FROM app_count WHERE account = \(scope.account) AND region = \(scope.region)")
            return try rows.map { try $0.decode((Int64, String).self) }.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    public func load(_ snapshot: StateSnapshot, skipIfHeld: Bool) async throws -> Bool {
        try snapshot.validate(quotas: self.quotas)
        var loaded = false
        // A connection of its own: `--init` loads before the pool runs.
        try await Self.transaction(self.location, logger: self.logger) { connection in
            guard try await Self.canLoad(connection, snapshot, skipIfHeld: skipIfHeld) else { return }
            for state in snapshot.apps { try await Self.insert(connection, state) }
            loaded = true
        }
        return loaded
    }

    /// Whether the snapshot may be loaded: false when a scope it fills has apps and `skipIfHeld`; throws when one has
    /// apps otherwise, or when an app or webhook id it uses is taken (in any scope).
    private static func canLoad(_ connection: PostgresConnection, _ snapshot: StateSnapshot, skipIfHeld: Bool) async throws -> Bool {
        for scope in snapshot.scopes {
            // The scope's app counter row, taken first, makes loads and creations in one scope take turns.
            try await connection.run(
                """
                INSERT INTO app_count (account, region, apps) VALUES (\(scope.account), \(scope.region), 0)
                ON CONFLICT (account, region) DO UPDATE SET apps = app_count.apps
                """
            )
            let count = try await connection.row("SELECT COUNT(*) FROM app WHERE account = \(scope.account) AND region = \(scope.region)")?
                .decode(Int.self) ?? 0
            guard try StateSnapshot.requireEmpty(scope, count: count, skipIfHeld: skipIfHeld) else { return false }
        }
        var takenApps = Set<String>()
        for appId in snapshot.appIds where try await connection.row("SELECT 1 FROM app WHERE appId = \(appId) LIMIT 1") != nil {
            takenApps.insert(appId)
        }
        var takenWebhooks = Set<String>()
        for webhookId in snapshot.webhookIds where try await connection.row("SELECT 1 FROM webhook WHERE webhookId = \(webhookId)") != nil {
            takenWebhooks.insert(webhookId)
        }
        try snapshot.requireUnused(takenAppIds: takenApps, takenWebhookIds: takenWebhooks)
        return true
    }

    /// One app with everything under it: its scope's app count, branches with their jobs, webhooks, domains, backends.
    private static func insert(_ connection: PostgresConnection, _ state: StateSnapshot.AppState) async throws {
        let app = state.app
        try await connection.run("UPDATE app_count SET apps = apps + 1 WHERE account = \(app.scope.account) AND region = \(app.scope.region)")
        let appSeq = try await connection.row(
            """
            INSERT INTO app (account, region, appId, document) VALUES (\(app.scope.account), \(app.scope.region), \(app.appId), \(try Documents.encode(app)))
            RETURNING seq
            """
        )?.decode(Int64.self) ?? 0
        var branchSeqs: [String: Int64] = [:]
        for branchState in state.branches {
            branchSeqs[branchState.branch.branchName] = try await Self.insert(connection, branchState, appSeq: appSeq)
        }
        for webhook in state.webhooks {
            // validate() saw that its branch is there.
            try await Self.insertWebhook(connection, webhook, appSeq: appSeq, branchSeq: branchSeqs[webhook.branchName] ?? 0)
        }
        for domain in state.domainAssociations {
            try await connection.run(
                "INSERT INTO domain_association (appSeq, domainName, document) VALUES (\(appSeq), \(domain.domainName), \(try Documents.encode(domain)))"
            )
        }
        for environment in state.backendEnvironments {
            try await Self.insertBackendEnvironment(connection, environment, appSeq: appSeq)
        }
    }

    /// One branch with its jobs (their steps and tags); returns the branch's row id.
    private static func insert(_ connection: PostgresConnection, _ state: StateSnapshot.BranchState, appSeq: Int64) async throws -> Int64 {
        let branch = state.branch
        let document = try Documents.encode(branch)
        let branchSeq = try await connection.row(
            "INSERT INTO branch (appSeq, branchName, document) VALUES (\(appSeq), \(branch.branchName), \(document)) RETURNING seq"
        )?.decode(Int64.self) ?? 0
        for jobState in state.jobs {
            let rows = try await connection.rows(InsertJobStatement(branchDocument: document, branchSeq: branchSeq, job: jobState.job))
            guard let jobSeq = rows.first else { continue }
            try await Self.insertSteps(connection, jobSeq: jobSeq, jobState.job.steps, from: 0)
            if !jobState.tags.isEmpty {
                try await connection.run("UPDATE job SET tags = \(try Documents.encode(jobState.tags)) WHERE seq = \(jobSeq)")
            }
        }
        return branchSeq
    }
}
