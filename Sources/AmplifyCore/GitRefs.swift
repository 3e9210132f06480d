import Foundation

/// What a repository's refs say at one moment: its branches and pull requests with the commit each points at, and
/// its default branch (what `HEAD` names). Following a repository compares one reading with the one before.
public struct GitRefs: Codable, Sendable, Equatable {
    /// Branch name (without `refs/heads/`) → commit id.
    public var branches: [String: String]
    /// Pull request number (from `refs/pull/<n>/head`) → commit id.
    public var pullRequests: [Int: String]
    public var defaultBranch: String?

    public init(branches: [String: String] = [:], pullRequests: [Int: String] = [:], defaultBranch: String? = nil) {
        self.branches = branches
        self.pullRequests = pullRequests
        self.defaultBranch = defaultBranch
    }

    /// Reads `<commit id> <ref name>` pairs (as `git ls-remote` and `packed-refs` list them, or loose ref files): heads
    /// and pull requests' heads; anything else is left out.
    public mutating func add(ref name: String, commit: String) {
        if name.hasPrefix("refs/heads/") {
            self.branches[String(name.dropFirst("refs/heads/".count))] = commit
        } else if let number = PullRequest.number(ofHeadRef: name) {
            self.pullRequests[number] = commit
        }
    }

    /// One change between two readings.
    public enum Change: Sendable, Equatable {
        /// A branch that was not there before.
        case branchCreated(String, commit: String)
        /// A branch that points at another commit.
        case branchMoved(String, commit: String)
        case branchDeleted(String)
        /// A pull request's head that appeared or moved: its preview builds.
        case pullRequestUpdated(Int, commit: String)
        case pullRequestClosed(Int)
    }

    /// The pull request `number` whose head is at `commit`, as a reading shows it: it targets the default branch (nil
    /// without one), and comes from the branch at the same commit if there is one (a pull request ref names no
    /// source), else `pull/<n>`.
    public func pullRequest(_ number: Int, at commit: String) -> PullRequest? {
        guard let destination = self.defaultBranch else { return nil }
        let source = self.branches.filter { $0.value == commit && $0.key != destination }.keys.sorted().first ?? "pull/\(number)"
        return PullRequest(number: number, sourceBranch: source, destinationBranch: destination, ref: PullRequest.headRef(number))
    }

    /// What changed from `old` to `self`, in a stable order (branches, then pull requests; each by name or number).
    public func changes(since old: GitRefs) -> [Change] {
        var changes: [Change] = []
        for name in Set(self.branches.keys).union(old.branches.keys).sorted() {
            switch (old.branches[name], self.branches[name]) {
            case (nil, let commit?): changes.append(.branchCreated(name, commit: commit))
            case (let before?, let commit?) where before != commit: changes.append(.branchMoved(name, commit: commit))
            case (_?, nil): changes.append(.branchDeleted(name))
            default: break
            }
        }
        for number in Set(self.pullRequests.keys).union(old.pullRequests.keys).sorted() {
            switch (old.pullRequests[number], self.pullRequests[number]) {
            case (let before, let commit?) where before != commit: changes.append(.pullRequestUpdated(number, commit: commit))
            case (_?, nil): changes.append(.pullRequestClosed(number))
            default: break
            }
        }
        return changes
    }
}
