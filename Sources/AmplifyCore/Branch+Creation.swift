/// What creating a resource must respect besides its own values: unique names and the quotas.
extension Branch {
    /// CreateBranch, where `nameTaken` says the app has a branch of this name and `count` how many branches it has.
    public func requireCreatable(nameTaken: Bool, count: Int, quotas: Quotas) throws(AmplifyError) {
        if nameTaken {
            throw .badRequest("Branch \(self.branchName) already exists.")
        }
        try Quotas.requireRoom(for: "branches", count: count, limit: quotas.branchesPerApp, in: "app \(self.appId)")
    }
}
