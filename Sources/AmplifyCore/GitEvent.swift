import Foundation

/// Something that happened in an app's repository, as a new reading of its refs (`GitRefs.changes(since:)`) or a git
/// host's notification tells it: what `GitEventAction` decides on.
public enum GitEvent: Sendable, Equatable {
    /// A git branch points at `commit`; `newGitBranch` when it was not there before (not in the last reading).
    case pushed(String, commit: GitCommit, newGitBranch: Bool)
    /// A git branch is gone.
    case branchDeleted(String)
    /// A pull request was opened, or its head moved.
    case pullRequestUpdated(PullRequest, commit: GitCommit)
    /// A pull request was closed or merged.
    case pullRequestClosed(Int)

    /// The event a change between two readings is, `refs` being the newer reading; `commit` reads a commit's message
    /// and time (asked only for the changes that build). Nil for a pull request in a repository without a default
    /// branch (nothing names its destination).
    public init?(_ change: GitRefs.Change, in refs: GitRefs, commit: (String) async -> GitCommit) async {
        switch change {
        case .branchCreated(let name, let id):
            self = .pushed(name, commit: await commit(id), newGitBranch: true)
        case .branchMoved(let name, let id):
            self = .pushed(name, commit: await commit(id), newGitBranch: false)
        case .branchDeleted(let name):
            self = .branchDeleted(name)
        case .pullRequestUpdated(let number, let id):
            guard let pullRequest = refs.pullRequest(number, at: id) else { return nil }
            self = .pullRequestUpdated(pullRequest, commit: await commit(id))
        case .pullRequestClosed(let number):
            self = .pullRequestClosed(number)
        }
    }

    /// The Amplify branches (by name) the decision looks at: the pushed or deleted one; a pull request's destination
    /// and its preview.
    public var branchNames: [String] {
        switch self {
        case .pushed(let name, _, _), .branchDeleted(let name): [name]
        case .pullRequestUpdated(let pullRequest, _): [pullRequest.destinationBranch, pullRequest.branchName]
        case .pullRequestClosed(let number): [PullRequest.previewBranchName(number)]
        }
    }
}
