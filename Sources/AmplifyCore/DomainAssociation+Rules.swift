import Foundation

/// What a domain association must respect: one app per domain name in an account and region, and subdomains
/// that point at branches of the app.
extension DomainAssociation {
    /// CreateDomainAssociation: `owner` is the app that already has this domain name in the scope, if any;
    /// `branchNames` the app's branches; `count` how many associations the app has.
    public func requireCreatable(owner: String?, branchNames: Set<String>, count: Int, quotas: Quotas) throws(AmplifyError) {
        try self.requireBranches(among: branchNames)
        if let owner {
            throw owner == self.appId
                ? .badRequest("Domain \(self.domainName) is already associated with this app.")
                : .badRequest("One or more domains requested are already associated with another Amplify app: \(self.domainName)")
        }
        try Quotas.requireRoom(for: "domains", count: count, limit: quotas.domainsPerApp, in: "app \(self.appId)")
    }

    /// Every subdomain has to point at one of the app's branches (`branchNames`), as on AWS.
    public func requireBranches(among branchNames: Set<String>) throws(AmplifyError) {
        if self.subDomainSettings.contains(where: { !branchNames.contains($0.branchName) }) {
            throw .badRequest("A subdomain cannot point to a non-existent branch")
        }
    }

    /// A deleted branch takes the subdomains that pointed at it out of the association. Returns whether any did.
    public mutating func removeSubdomains(pointingAt branchName: String) -> Bool {
        let kept = self.subDomainSettings.filter { $0.branchName != branchName }
        guard kept.count != self.subDomainSettings.count else { return false }
        self.subDomainSettings = kept
        self.servingThroughUpdate?.removeAll { $0.branchName == branchName }
        return true
    }

    /// UpdateDomainAssociation, once the request's members are applied to `previous`: the walk starts again at
    /// UPDATING, and the subdomains `previous` served `now` that the update kept go on serving meanwhile; a removed
    /// one stops at once, an added one waits for AVAILABLE.
    public mutating func restartWalk(after previous: DomainAssociation, now: Date) {
        self.servingThroughUpdate = previous.servedSubdomains(at: now).filter(self.subDomainSettings.contains)
        self.changeTime = now
        self.updated = true
    }
}

/// Serving a custom domain: a request whose Host is one of an association's subdomains goes to that subdomain's
/// branch (`www.example.com` → prefix `www`, `example.com` → prefix `""`), once the association is AVAILABLE (and,
/// through an update, for the subdomains it kept).
extension DomainAssociation {
    /// The names an association of `host` (lowercase, without port) may have: the host and each domain above it
    /// with at least two labels (`a.b.example.com` → `a.b.example.com`, `b.example.com`, `example.com`).
    public static func names(under host: String) -> [String] {
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty }) else { return [] }
        return (0...(labels.count - 2)).map { labels[$0...].joined(separator: ".") }
    }

    /// The branch that serves `host` (lowercase, without port) `now`, nil when none of the subdomains is it or
    /// the association is not AVAILABLE.
    public func branchName(serving host: String, at now: Date) -> String? {
        let domain = self.domainName.lowercased()
        return self.servedSubdomains(at: now).first { setting in
            setting.prefix.isEmpty ? host == domain : host == setting.prefix.lowercased() + "." + domain
        }?.branchName
    }

    /// The subdomains served `now`: all of them once AVAILABLE; while an update walks (or after it failed), those it
    /// kept of the ones served before; none before the association was first AVAILABLE.
    func servedSubdomains(at now: Date) -> [SubDomainSetting] {
        if self.phase(at: now) == .available { return self.subDomainSettings }
        return self.updated ? self.servingThroughUpdate ?? [] : []
    }
}
