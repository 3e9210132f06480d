import Foundation

/// What a git event does to an app, as Amplify does it on a push: the branch builds the commit (a new git branch that
/// matches the app's patterns gets a branch first, a pull request to a branch with previews on gets its preview);
/// with automatic deletion on, a deleted git branch takes its Amplify branch along (previews go with their pull
/// request only); a closed pull request takes its preview. Decided from the app and the branches the event names.
public enum GitEventAction: Sendable, Equatable {
    /// The branch receives the commit (`Branch.receive`: it builds it, or the push waits, or is skipped), after
    /// `first` when there is something to do first.
    case build(String, commit: GitCommit, first: Preparation?)
    /// The Amplify branch goes (DeleteBranch), for the reason given.
    case delete(String, why: String)
    /// Nothing happens, for the reason given (what the git host's notification is answered).
    case nothing(String)

    /// What has to happen to the branch before it receives the commit.
    public enum Preparation: Sendable, Equatable {
        /// The branch is made: from the app's patterns, or a pull request's preview.
        case create(Branch)
        /// The preview branch builds another pull request than it did (its source branch or ref changed).
        case updatePullRequest(PullRequest)

        /// Whether the branch is a pull request's preview.
        public var isPreview: Bool {
            switch self {
            case .create(let branch): branch.pullRequest != nil
            case .updatePullRequest: true
            }
        }
    }

    /// Decides what `event` does, where `app` is the app as it is now and `branches` its branches that
    /// `event.branchNames` names (those that exist).
    public init(_ event: GitEvent, app: App, branches: [String: Branch], now: Date) {
        switch event {
        case .pushed(let name, let commit, let newGitBranch):
            self = Self.push(name, commit: commit, newGitBranch: newGitBranch, app: app, branch: branches[name], now: now)
        case .branchDeleted(let name):
            guard app.enableBranchAutoDeletion else {
                self = .nothing("automatic branch deletion is off")
                return
            }
            guard let branch = branches[name], branch.pullRequest == nil else {
                self = .nothing("no branch \(name) to delete")
                return
            }
            self = .delete(name, why: "its git branch was deleted")
        case .pullRequestUpdated(let pullRequest, let commit):
            self = Self.preview(pullRequest, commit: commit, destination: branches[pullRequest.destinationBranch],
                preview: branches[pullRequest.branchName], now: now)
        case .pullRequestClosed(let number):
            let name = PullRequest.previewBranchName(number)
            guard let preview = branches[name], preview.pullRequest != nil else {
                self = .nothing("no preview \(name)")
                return
            }
            self = .delete(name, why: "its pull request was closed")
        }
    }

    /// A git branch moved: its Amplify branch builds; a git branch new since the last reading that matches the app's
    /// patterns gets one first. A push to a git branch that was there before and has no Amplify branch builds nothing.
    private static func push(_ name: String, commit: GitCommit, newGitBranch: Bool, app: App, branch: Branch?, now: Date) -> Self {
        if branch != nil { return .build(name, commit: commit, first: nil) }
        guard newGitBranch, app.autoCreatesBranch(name) else { return .nothing("no branch \(name) in the app") }
        return .build(name, commit: commit, first: .create(Branch.autoCreated(name, app: app, now: now)))
    }

    /// A pull request opened or updated: if its destination branch has previews on, its preview branch (made from the
    /// destination's settings) builds the commit. A branch of the preview's name that is no preview is left alone.
    private static func preview(_ pullRequest: PullRequest, commit: GitCommit, destination: Branch?, preview: Branch?, now: Date) -> Self {
        guard let destination, destination.enablePullRequestPreview else {
            return .nothing("branch \(pullRequest.destinationBranch) has no pull request previews")
        }
        let name = pullRequest.branchName
        guard let preview else {
            return .build(name, commit: commit, first: .create(destination.preview(of: pullRequest, now: now)))
        }
        guard let built = preview.pullRequest else { return .nothing("branch \(name) is not a preview") }
        return .build(name, commit: commit, first: built == pullRequest ? nil : .updatePullRequest(pullRequest))
    }
}
