import Foundation

/// What DeleteJob takes with it besides the job's rows (steps, logs, artifacts): a job still in progress cannot be
/// deleted; the live job takes the branch's site down, and with it the app's production branch if it was that one;
/// a deployment skew protection kept is served no more.
public struct JobDeletion: Sendable, Equatable {
    /// The branch as it is after, when it changed (nil: it stays as it is).
    public var branch: Branch?
    /// The app as it is after, when it changed.
    public var app: App?

    /// Deleting `job` of `branch` of `app`; BadRequestException for a job in progress.
    public init(deleting job: Job, from branch: Branch, of app: App) throws(AmplifyError) {
        var branch = branch
        let before = branch
        let siteWentDown = try branch.deleteJob(job)
        self.branch = branch == before ? nil : branch
        var app = app
        self.app = siteWentDown && app.tookDown(branchName: branch.branchName) ? app : nil
    }
}
