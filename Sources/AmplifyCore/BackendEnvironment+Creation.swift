/// What creating a resource must respect besides its own values: unique names and the quotas.
extension BackendEnvironment {
    /// CreateBackendEnvironment, where `nameTaken` says the app has one of this name.
    public func requireCreatable(nameTaken: Bool) throws(AmplifyError) {
        if nameTaken {
            throw .badRequest("Backend environment \(self.environmentName) already exists.")
        }
    }
}
