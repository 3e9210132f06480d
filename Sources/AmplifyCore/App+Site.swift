import Foundation

/// Which branch an app's sites show: the production branch and the branch a host name names.
extension App {
    /// A branch's site went live: it becomes the production branch when the app has none yet, when it already was
    /// the production branch, or when its stage is PRODUCTION. Returns whether the app changed.
    public mutating func published(_ branch: Branch, now: Date) -> Bool {
        let isProduction =
            self.productionBranch == nil || self.productionBranch?.branchName == branch.branchName || branch.stage == .production
        guard isProduction else { return false }
        self.productionBranch = ProductionBranch(branchName: branch.branchName, lastDeployTime: now)
        return true
    }

    /// A branch's site is gone (its live job or the branch was deleted): the app has no production branch if it was
    /// that one. Returns whether the app changed.
    public mutating func tookDown(branchName: String) -> Bool {
        guard self.productionBranch?.branchName == branchName else { return false }
        self.productionBranch = nil
        return true
    }

    /// The branch a site host names among the app's `branches` (oldest first): the one whose display name is
    /// `displayName` (`<displayName>.<appId>`), or without one (`<appId>`) the production branch; nil when none is.
    public func siteBranch(displayName: String?, among branches: [Branch]) -> Branch? {
        let production = self.productionBranch.flatMap { production in branches.first { $0.branchName == production.branchName } }
        guard let wanted = displayName ?? production?.displayName else { return nil }
        return branches.first { $0.displayName == wanted }
    }
}
