/// What creating a resource must respect besides its own values: unique names and the quotas.
extension App {
    /// CreateApp, where the account and region hold `count` apps already.
    public static func requireCreatable(count: Int, quotas: Quotas) throws(AmplifyError) {
        try Quotas.requireRoom(for: "apps", count: count, limit: quotas.appsPerRegion, in: "this account and region")
    }
}
