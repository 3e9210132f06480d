/// What creating a resource must respect besides its own values: unique names and the quotas.
extension Webhook {
    /// CreateWebhook, where the app has `count` webhooks.
    public func requireCreatable(count: Int, quotas: Quotas) throws(AmplifyError) {
        try Quotas.requireRoom(for: "webhooks", count: count, limit: quotas.webhooksPerApp, in: "app \(self.appId)")
    }
}
