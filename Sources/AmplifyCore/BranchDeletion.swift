import Foundation

/// What DeleteBranch takes with it besides the branch's own rows (its jobs with their steps, logs and artifacts, and
/// its webhooks go with it in the schema): the subdomains that pointed at it leave their domain associations, and
/// the app has no production branch if it was that one (its site is gone).
///
/// The branch's build secrets stay, as on AWS: they are SSM parameters the app's owner made under
/// `/amplify/<appId>/<branch>…/` (Gen 2's path is derived from the app id and branch name alone), which deleting a
/// branch leaves where they are; a branch made again under the same name reads the same path, so its builds get
/// them again. They go with the app (DeleteApp takes everything under it), or one by one.
public struct BranchDeletion: Sendable, Equatable {
    /// The app as it is after the deletion, when it changed (nil: it stays as it is).
    public var app: App?
    /// The domain associations that changed, as they are after (their subdomains to the branch taken out).
    public var domainAssociations: [DomainAssociation]

    /// Deleting `branchName` from `app`, whose domain associations are `domainAssociations`.
    public init(deleting branchName: String, from app: App, domainAssociations: [DomainAssociation]) {
        var app = app
        self.app = app.tookDown(branchName: branchName) ? app : nil
        self.domainAssociations = domainAssociations.compactMap { domain in
            var domain = domain
            return domain.removeSubdomains(pointingAt: branchName) ? domain : nil
        }
    }
}
