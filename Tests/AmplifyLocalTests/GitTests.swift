import AmplifyCore
import AmplifyProcess
import Foundation
import Testing

@testable import AmplifyGit

/// Reading refs, the changes between two readings, git hosts' events, and the branches pushes make.
@Suite struct GitTests {
    let a = String(repeating: "a", count: 40)
    let b = String(repeating: "b", count: 40)
    let c = String(repeating: "c", count: 40)

    @Test func changesBetweenReadings() {
        let old = GitRefs(branches: ["main": a, "gone": a, "same": b], pullRequests: [1: a, 2: b])
        let new = GitRefs(branches: ["main": b, "new": c, "same": b], pullRequests: [2: c, 3: a])
        #expect(new.changes(since: old) == [
            .branchDeleted("gone"), .branchMoved("main", commit: b), .branchCreated("new", commit: c),
            .pullRequestClosed(1), .pullRequestUpdated(2, commit: c), .pullRequestUpdated(3, commit: a),
        ])
        #expect(new.changes(since: new).isEmpty)
    }

    @Test func lsRemoteOutput() {
        let refs = RemoteRefs.parse("ref: refs/heads/trunk\tHEAD\n\(a)\tHEAD\n\(a)\trefs/heads/trunk\n\(b)\trefs/heads/feature/x\n\(c)\trefs/pull/7/head\n\(c)\trefs/pull/7/merge\n\(b)\trefs/tags/v1\n")
        #expect(refs == GitRefs(branches: ["trunk": a, "feature/x": b], pullRequests: [7: c], defaultBranch: "trunk"))
    }

    /// A remote is read with `git ls-remote`; a token goes in git's environment (never its command line, which other
    /// users of the machine see), and git's complaint is the error.
    @Test func remoteRefsAreReadWithGitAndATokenStaysOffTheCommandLine() async throws {
        let a = self.a
        let launcher = FakeProcessLauncher(outcomes: { command -> (ProcessOutcome, output: String) in
            if command.arguments.last == "https://git.example/broken.git" { return (.exited(128), "") }
            return (.exited(0), "ref: refs/heads/main\tHEAD\n\(a)\tHEAD\n\(a)\trefs/heads/main\n")
        })
        let refs = try await RemoteRefs.read("https://git.example/app.git", token: "s3cret", environment: ["HOME": "/root"], launcher: launcher)
        #expect(refs == GitRefs(branches: ["main": a], defaultBranch: "main"))
        let command = try #require(launcher.commands.first)
        #expect(command.executable == "git" && command.arguments == ["ls-remote", "--symref", "--", "https://git.example/app.git"])
        #expect(!command.commandLine.joined(separator: " ").contains("s3cret") && !command.commandLine.contains { $0.contains("czNjcmV0") })
        #expect(command.environment["GIT_CONFIG_VALUE_0"] == "Authorization: Basic \(Data("x-access-token:s3cret".utf8).base64EncodedString())")
        #expect(command.environment["GIT_TERMINAL_PROMPT"] == "0" && command.environment["HOME"] == "/root")
        await #expect(throws: (any Error).self) {
            try await RemoteRefs.read("https://git.example/broken.git", token: nil, environment: [:], launcher: launcher)
        }
    }

    @Test func localRefsFromLooseAndPackedFiles() throws {
        let root = FileManager.default.temporaryDirectory.appending(path: "refs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let git = root.appending(path: ".git")
        try FileManager.default.createDirectory(at: git.appending(path: "refs/heads/feature"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: git.appending(path: "refs/pull/4"), withIntermediateDirectories: true)
        try "ref: refs/heads/main\n".write(to: git.appending(path: "HEAD"), atomically: true, encoding: .utf8)
        try "# pack-refs with: peeled fully-peeled sorted\n\(a) refs/heads/main\n\(a) refs/heads/old\n\(b) refs/tags/v1\n^\(c)\n"
            .write(to: git.appending(path: "packed-refs"), atomically: true, encoding: .utf8)
        try "\(b)\n".write(to: git.appending(path: "refs/heads/main"), atomically: true, encoding: .utf8)
        try "\(c)\n".write(to: git.appending(path: "refs/heads/feature/x"), atomically: true, encoding: .utf8)
        try "\(c)\n".write(to: git.appending(path: "refs/pull/4/head"), atomically: true, encoding: .utf8)
        let sources = SourceFolders(allowed: [root.path])
        let refs = try LocalRefs.read(root.path, sources: sources)
        // The loose main is newer than the packed one.
        #expect(refs == GitRefs(branches: ["main": b, "old": a, "feature/x": c], pullRequests: [4: c], defaultBranch: "main"))
        #expect(throws: LocalRefs.Failure.self) { try LocalRefs.read(root.appending(path: "nothing").path, sources: sources) }
    }

    @Test func gitHubEvents() throws {
        let push = #"{"ref":"refs/heads/feature/x","after":"\#(a)","head_commit":{"message":"Fix [skip-cd]","timestamp":"2026-11-30T10:00:00Z"}}"#
        guard case .push(let branch, let commit, let deleted) = try GitHubEvent(name: "push", payload: Array(push.utf8), repositoryIsRemote: true)
        else { Issue.record("not a push"); return }
        #expect(branch == "feature/x" && commit.id == a && commit.skipsBuild && !deleted)
        #expect(commit.time == Date(timeIntervalSince1970: 1_796_032_800))
        let tag = #"{"ref":"refs/tags/v1","after":"\#(a)"}"#
        #expect(try GitHubEvent(name: "push", payload: Array(tag.utf8), repositoryIsRemote: true) == .ignored("a push to refs/tags/v1, not to a branch"))
        let opened = #"{"action":"opened","number":5,"pull_request":{"head":{"ref":"topic","sha":"\#(b)"},"base":{"ref":"main"}}}"#
        guard case .pullRequest(let pullRequest, let head, false) = try GitHubEvent(name: "pull_request", payload: Array(opened.utf8), repositoryIsRemote: true)
        else { Issue.record("not an opened pull request"); return }
        #expect(pullRequest == PullRequest(number: 5, sourceBranch: "topic", destinationBranch: "main", ref: "refs/pull/5/head"))
        #expect(head?.id == b)
        #expect(throws: GitHubEvent.Malformed.self) { try GitHubEvent(name: "pull_request", payload: Array("{}".utf8), repositoryIsRemote: true) }
        #expect(throws: GitHubEvent.Malformed.self) { try GitHubEvent(name: "push", payload: Array("[1]".utf8), repositoryIsRemote: true) }
    }

    @Test func branchPatterns() {
        var app = App(scope: Scope(account: "123456789012", region: "us-east-1"), appId: "d1", name: "a", now: Date())
        app.autoBranchCreationPatterns = ["feature/*", "release/**", "dev*"]
        #expect(!app.autoCreatesBranch("feature/x"), "automatic creation is off")
        app.enableAutoBranchCreation = true
        #expect(app.autoCreatesBranch("feature/x"))
        #expect(!app.autoCreatesBranch("feature/x/y"))
        #expect(app.autoCreatesBranch("release/2026/12"))
        #expect(app.autoCreatesBranch("develop"))
        #expect(!app.autoCreatesBranch("main"))
    }

    @Test func autoCreatedBranchesTakeTheAppsConfig() {
        var app = App(scope: Scope(account: "123456789012", region: "us-east-1"), appId: "d1", name: "a", now: Date())
        #expect(Branch.autoCreated("feature/x", app: app, now: Date()).stage == .none, "no config: a branch's defaults")
        var config = AutoBranchCreationConfig()
        config.stage = .beta
        config.environmentVariables = ["MODE": "preview"]
        config.enableAutoBuild = false
        config.buildSpec = "version: 1"
        config.enablePullRequestPreview = true
        app.autoBranchCreationConfig = config
        let branch = Branch.autoCreated("feature/x", app: app, now: Date())
        #expect(branch.branchName == "feature/x" && branch.displayName == "feature-x" && branch.stage == .beta)
        #expect(branch.environmentVariables == ["MODE": "preview"] && !branch.enableAutoBuild && branch.buildSpec == "version: 1")
        #expect(branch.enablePullRequestPreview)
    }

    @Test func previewsTakeTheirDestinationsSettings() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        var main = Branch(scope: Scope(account: "123456789012", region: "us-east-1"), appId: "d1", branchName: "main", now: now)
        main.environmentVariables = ["API": "staging"]
        main.pullRequestEnvironmentName = "preview"
        main.enableBasicAuth = true
        let pullRequest = PullRequest(number: 9, sourceBranch: "topic", destinationBranch: "main", ref: "refs/pull/9/head")
        let preview = main.preview(of: pullRequest, now: now)
        #expect(preview.branchName == "pr-9" && preview.displayName == "pr-9" && preview.stage == .pullRequest)
        #expect(preview.environmentVariables == ["API": "staging"] && preview.enableBasicAuth)
        #expect(preview.backendEnvironmentArn == "arn:aws:amplify:us-east-1:123456789012:apps/d1/backendenvironments/preview")
        #expect(pullRequest.environmentVariables["AWS_PULL_REQUEST_ID"] == "9")
    }
}
