import AmplifyBuilds
import AmplifyCore
import AmplifyWire
import Foundation

extension AmplifyAPI {
    func createWebhook(_ input: Wire.CreateWebhookRequest, _ call: APICall) async throws -> Wire.CreateWebhookResult {
        let webhook = Webhook(
            scope: call.scope, appId: input.appId, branchName: input.branchName, description: input.description ?? "",
            now: self.clock.now()
        )
        try await self.store.createWebhook(webhook)
        return Wire.CreateWebhookResult(webhook: Wire.Webhook(webhook, baseURL: call.baseURL))
    }

    func getWebhook(_ input: Wire.GetWebhookRequest, _ call: APICall) async throws -> Wire.GetWebhookResult {
        let webhook = try await self.store.webhook(call.scope, webhookId: input.webhookId)
        return Wire.GetWebhookResult(webhook: Wire.Webhook(webhook, baseURL: call.baseURL))
    }

    func listWebhooks(_ input: Wire.ListWebhooksRequest, _ call: APICall) async throws -> Wire.ListWebhooksResult {
        let page = try await self.store.listWebhooks(
            call.scope, appId: input.appId, after: try Self.pageToken(input.nextToken, list: .webhooks),
            limit: Self.pageSize(input.maxResults, default: 50)
        )
        return Wire.ListWebhooksResult(webhooks: page.items.map { Wire.Webhook($0, baseURL: call.baseURL) }, nextToken: page.nextToken)
    }

    func updateWebhook(_ input: Wire.UpdateWebhookRequest, _ call: APICall) async throws -> Wire.UpdateWebhookResult {
        let now = self.clock.now()
        let webhook = try await self.store.updateWebhook(call.scope, webhookId: input.webhookId) { webhook in
            if let branchName = input.branchName { webhook.branchName = branchName }
            if let description = input.description { webhook.description = description }
            webhook.updateTime = now
        }
        return Wire.UpdateWebhookResult(webhook: Wire.Webhook(webhook, baseURL: call.baseURL))
    }

    func deleteWebhook(_ input: Wire.DeleteWebhookRequest, _ call: APICall) async throws -> Wire.DeleteWebhookResult {
        let webhook = try await self.store.deleteWebhook(call.scope, webhookId: input.webhookId)
        return Wire.DeleteWebhookResult(webhook: Wire.Webhook(webhook, baseURL: call.baseURL))
    }

    /// A POST to a webhook's URL: starts a WEB_HOOK job on its branch, as AWS's incoming webhooks do.
    /// The caller is not signed; the token in the URL is what lets it in.
    func triggerWebhook(id: String?, token: String?) async throws -> Wire.StartJobResult {
        guard let id, !id.isEmpty else { throw AmplifyError.badRequest("The webhook URL has no id.") }
        let webhook = try await self.store.webhook(nil, webhookId: id)
        guard let token, ConstantTime.equal(token, webhook.token) else {
            throw AmplifyError.unauthorized("The webhook token is not valid.")
        }
        let job = try await self.store.startJob(
            webhook.scope, appId: webhook.appId, branchName: webhook.branchName, JobRequest(jobType: .webHook), now: self.clock.now()
        )
        self.runner.wake()
        return Wire.StartJobResult(jobSummary: Wire.JobSummary(job))
    }
}

extension Wire.Webhook {
    /// The URL points at this server, in the real service's form (`/prod/webhooks?id=…&token=…`).
    init(_ webhook: Webhook, baseURL: String) {
        self.init(
            webhookArn: webhook.arn, webhookId: webhook.webhookId,
            webhookUrl: "\(baseURL)/prod/webhooks?id=\(webhook.webhookId)&token=\(webhook.token)&operation=startbuild",
            appId: webhook.appId, branchName: webhook.branchName, description: webhook.description,
            createTime: webhook.createTime, updateTime: webhook.updateTime
        )
    }
}
