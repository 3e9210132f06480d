import Foundation

/// What DeleteBranch takes with it besides the branch's own rows (its jobs with their steps, logs and artifacts, and
/// its webhooks go with it in the schema): the subdomains that pointed at it leave their domain associations, the
/// app has no production branch if it was that one (its site is gone), and the branch's own build secrets go.
///
/// Secrets go with the branch so that none outlives it: a branch made later under the same name (by hand, from the
/// app's patterns when anyone pushes a git branch of that name) is another branch, and must not be handed the old
/// one's credentials. The app's secrets, and other branches' (`feature` beside `feature/x`), stay.
public struct BranchDeletion: Sendable, Equatable {
    /// The app as it is after the deletion, when it changed (nil: it stays as it is).
    public var app: App?
    /// The domain associations that changed, as they are after (their subdomains to the branch taken out).
    public var domainAssociations: [DomainAssociation]
    /// The build secrets that go: those set for the branch itself.
    public var secrets: [BuildSecret]

    /// Deleting `branchName` from `app`, whose domain associations are `domainAssociations` and whose build secrets
    /// (the app's and every branch's) are `secrets`.
    public init(deleting branchName: String, from app: App, domainAssociations: [DomainAssociation], secrets: [BuildSecret]) {
        var app = app
        self.app = app.tookDown(branchName: branchName) ? app : nil
        self.domainAssociations = domainAssociations.compactMap { domain in
            var domain = domain
            return domain.removeSubdomains(pointingAt: branchName) ? domain : nil
        }
        self.secrets = secrets.filter { $0.branchName == branchName }
    }
}
