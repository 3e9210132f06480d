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

    /// The error for a quota that is reached.
    public static func exceeded(_ what: String, limit: Int, in place: String) -> AmplifyError {
        .limitExceeded("The number of \(what) in \(place) has reached its quota of \(limit).")
    }
}
