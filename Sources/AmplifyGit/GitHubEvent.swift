import AmplifyCore
import Foundation

/// A git host's event, in the format GitHub sends (Gitea and Forgejo send the same): a push to a branch, or a pull
/// request opened, updated or closed. Anything else is left alone.
public enum GitHubEvent: Sendable, Equatable {
    case push(branch: String, commit: GitCommit, deleted: Bool)
    case pullRequest(PullRequest, commit: GitCommit?, closed: Bool)
    /// An event this server does not act on (`ping`, tags, review comments…), with what it was.
    case ignored(String)

    /// The most a payload may be: larger ones are ignored, as Amplify does.
    public static let maxPayloadBytes = 256 * 1024

    public struct Malformed: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads the event named by the `X-GitHub-Event` (or `X-Gitea-Event`) header from its JSON payload.
    public init(name: String, payload: [UInt8], repositoryIsRemote: Bool) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any] else {
            throw Malformed(description: "The payload is not a JSON object.")
        }
        switch name {
        case "push":
            guard let ref = object["ref"] as? String, let after = object["after"] as? String else {
                throw Malformed(description: "A push event needs 'ref' and 'after'.")
            }
            guard ref.hasPrefix("refs/heads/") else {
                self = .ignored("a push to \(ref), not to a branch")
                return
            }
            let head = object["head_commit"] as? [String: Any]
            let commit = GitCommit(
                id: after, message: head?["message"] as? String ?? "",
                time: (head?["timestamp"] as? String).flatMap(Self.date) ?? Date()
            )
            self = .push(branch: String(ref.dropFirst("refs/heads/".count)), commit: commit, deleted: object["deleted"] as? Bool ?? false)
        case "pull_request":
            guard let action = object["action"] as? String, let number = object["number"] as? Int, number > 0,
                let request = object["pull_request"] as? [String: Any],
                let head = request["head"] as? [String: Any], let base = request["base"] as? [String: Any],
                let source = head["ref"] as? String, let destination = base["ref"] as? String
            else {
                throw Malformed(description: "A pull_request event needs 'action', 'number' and 'pull_request' with 'head.ref' and 'base.ref'.")
            }
            // GitHub, Gitea and Forgejo keep every pull request's head at refs/pull/<n>/head; a repository on this
            // machine has only the source branch.
            let ref = repositoryIsRemote ? PullRequest.headRef(number) : "refs/heads/\(source)"
            let pullRequest = PullRequest(number: number, sourceBranch: source, destinationBranch: destination, ref: ref)
            switch action {
            case "opened", "reopened", "synchronize", "edited", "ready_for_review":
                guard let sha = head["sha"] as? String else { throw Malformed(description: "A pull_request event needs 'pull_request.head.sha'.") }
                let title = request["title"] as? String ?? ""
                self = .pullRequest(pullRequest, commit: GitCommit(id: sha, message: title, time: Date()), closed: false)
            case "closed":
                self = .pullRequest(pullRequest, commit: nil, closed: true)
            default:
                self = .ignored("pull_request action \(action)")
            }
        default:
            self = .ignored("event \(name)")
        }
    }

    /// What happened in the repository, as Core decides on it; `branchWasThere` says whether a git branch was in the
    /// last reading (a push to one that was not is a new git branch). Nil for an event this server does not act on.
    public func gitEvent(branchWasThere: (String) -> Bool) -> GitEvent? {
        switch self {
        case .push(let branch, let commit, let deleted):
            deleted ? .branchDeleted(branch) : .pushed(branch, commit: commit, newGitBranch: !branchWasThere(branch))
        case .pullRequest(let pullRequest, let commit?, false):
            .pullRequestUpdated(pullRequest, commit: commit)
        case .pullRequest(let pullRequest, _, _):
            .pullRequestClosed(pullRequest.number)
        case .ignored:
            nil
        }
    }

    private static func date(_ text: String) -> Date? {
        ISO8601DateFormatter().date(from: text)
    }
}
