import Foundation

/// What a job's site going live changes (at the end of its DEPLOY step): the branch's live job and deploy time (and
/// the deployments skew protection keeps), and the app's production branch when the app has none yet, when it was
/// this branch already, or when the branch's stage is PRODUCTION.
public struct SitePublication: Sendable, Equatable {
    /// The branch as it is after.
    public var branch: Branch
    /// The app as it is after, when it changed (nil: it stays as it is).
    public var app: App?

    /// Publishing `job`'s site on `branch` of `app` at `now`; nil when the job publishes nothing (it is not running
    /// any more: stopped or failed meanwhile).
    public init?(publishing job: Job, on branch: Branch, of app: App, now: Date) {
        var branch = branch
        guard branch.publish(job, now: now) else { return nil }
        self.branch = branch
        var app = app
        self.app = app.published(branch, now: now) ? app : nil
    }
}
