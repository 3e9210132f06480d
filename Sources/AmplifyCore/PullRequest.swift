import Foundation

/// The pull request a preview branch builds: its number, the branch it comes from and the one it targets, and
/// the git ref that holds its head.
public struct PullRequest: Codable, Sendable, Equatable {
    public var number: Int
    public var sourceBranch: String
    public var destinationBranch: String
    /// What a build fetches: `refs/pull/<n>/head`, or the source branch's ref when a notification named it.
    public var ref: String

    public init(number: Int, sourceBranch: String, destinationBranch: String, ref: String) {
        self.number = number
        self.sourceBranch = sourceBranch
        self.destinationBranch = destinationBranch
        self.ref = ref
    }

    /// The preview branch's name, which is also its host's first label: `pr-<n>`.
    public var branchName: String { Self.previewBranchName(self.number) }

    /// The name of pull request `number`'s preview branch, `pr-<n>`: the one place it is made.
    public static func previewBranchName(_ number: Int) -> String { "pr-\(number)" }

    /// The ref GitHub, Gitea and Forgejo keep pull request `number`'s head at.
    public static func headRef(_ number: Int) -> String { "refs/pull/\(number)/head" }

    /// The pull request number a ref is the head of (`headRef`'s inverse); nil for any other ref (`refs/pull/<n>/merge`,
    /// a number that is not one above 0).
    public static func number(ofHeadRef ref: String) -> Int? {
        guard ref.hasPrefix("refs/pull/"), ref.hasSuffix("/head"),
            let number = Int(ref.dropFirst("refs/pull/".count).dropLast("/head".count)), number > 0
        else { return nil }
        return number
    }

    /// What the build of a preview sees besides the destination branch's variables.
    public var environmentVariables: [String: String] {
        [
            "AWS_PULL_REQUEST_ID": String(self.number),
            "AWS_PULL_REQUEST_SOURCE_BRANCH": self.sourceBranch,
            "AWS_PULL_REQUEST_DESTINATION_BRANCH": self.destinationBranch,
        ]
    }
}
