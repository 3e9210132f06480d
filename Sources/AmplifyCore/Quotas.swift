/// How many of each resource an account may have, as AWS's service quotas (configurable here).
/// Creating one more is LimitExceededException.
public struct Quotas: Sendable, Equatable {
    public var appsPerRegion: Int
    public var branchesPerApp: Int
    public var domainsPerApp: Int
    public var webhooksPerApp: Int

    /// AWS's defaults.
    public init(appsPerRegion: Int = 25, branchesPerApp: Int = 50, domainsPerApp: Int = 5, webhooksPerApp: Int = 50) {
        self.appsPerRegion = appsPerRegion
        self.branchesPerApp = branchesPerApp
        self.domainsPerApp = domainsPerApp
        self.webhooksPerApp = webhooksPerApp
    }

    /// Creating one more of `what` where there are `count` already: LimitExceededException at `limit`.
    static func requireRoom(for what: String, count: Int, limit: Int, in place: String) throws(AmplifyError) {
        if count >= limit {
            throw .limitExceeded("The number of \(what) in \(place) has reached its quota of \(limit).")
        }
    }
}
