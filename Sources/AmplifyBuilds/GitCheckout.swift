import AmplifyCore
import AmplifyProcess
import Foundation
import Synchronization

/// Clones a branch of a repository for a build, with git, and reads the commit it checked out.
struct GitCheckout: Sendable {
    struct Commit: Sendable, Equatable {
        var id: String
        var message: String
        var time: Date
    }

    let repository: String
    let branchName: String
    /// A ref to fetch instead of the branch: a pull request preview's (`refs/pull/<n>/head`, or its source branch's).
    var ref: String? = nil
    /// The commit StartJob asked for; `HEAD` (or empty) means the branch's latest.
    let commitId: String
    /// The environment git runs with: the server's own, so its credentials and SSH agent work.
    let environment: [String: String]
    /// The folders a repository on this machine may be cloned from (`--deploy-from`).
    var sources = SourceFolders(allowed: [])

    func clone(into folder: URL, in workspace: URL, runner: LoggedProcessRunner) async throws -> Commit {
        let latest = self.commitId.isEmpty || self.commitId == "HEAD"
        var source = RepositoryLocation.cloneSource(self.repository)
        if let path = RepositoryLocation.localPath(self.repository) {
            source = try self.allowedFolder(path)
        }
        if let ref = self.ref {
            try await self.fetch(ref, from: source, into: folder, in: workspace, runner: runner)
            return try await self.checkedOut(folder, runner: runner)
        }
        runner.log.info("# Cloning repository: \(Self.redacted(self.repository)) (branch \(self.branchName))")
        // A plain path is cloned with hard links; --depth would make git copy it through its transport instead.
        let depth = latest && !source.hasPrefix("/") ? ["--depth", "1"] : []
        let tail = OutputTail()
        let clone = try await self.git(
            ["clone", "--single-branch", "--no-tags", "--branch", self.branchName] + depth + ["--", source, folder.path],
            in: workspace, runner: runner
        ) { bytes in
            tail.append(bytes)
            runner.log.append(bytes)
        }
        guard clone == .exited(0) else {
            throw JobProgress.Interruption.failed(
                "Could not clone branch \(self.branchName) of \(Self.redacted(self.repository)): \(Self.describe(clone, tail: tail.text))"
            )
        }
        if !latest {
            let checkout = try await self.git(["checkout", "--quiet", "--detach", self.commitId], in: folder, runner: runner)
            guard checkout == .exited(0) else {
                throw JobProgress.Interruption.failed("Commit \(self.commitId) was not found on branch \(self.branchName) of the repository.")
            }
        }
        return try await self.checkedOut(folder, runner: runner)
    }

    /// The resolved folder of a repository on this machine, when `--deploy-from` allows it: git then clones that
    /// folder (not a link that could be changed to point elsewhere meanwhile). A worktree's or submodule's `.git`
    /// file names the folder git really reads: that one must be allowed too.
    private func allowedFolder(_ path: String) throws -> String {
        let what = "The repository \(Self.redacted(self.repository))"
        let folder: String
        switch self.sources.check(path, as: what) {
        case .allowed(let resolved): folder = resolved
        case .refused(let reason): throw JobProgress.Interruption.failed(reason)
        }
        let dotGit = folder + "/.git"
        if let text = try? String(contentsOfFile: dotGit, encoding: .utf8), let line = text.split(separator: "\n").first, line.hasPrefix("gitdir: ") {
            let target = String(line.dropFirst("gitdir: ".count)).trimmingCharacters(in: .whitespaces)
            if case .refused(let reason) = self.sources.check(target, as: "\(what) keeps its files in \(target), which", base: folder) {
                throw JobProgress.Interruption.failed(reason)
            }
        }
        return folder
    }

    /// A ref that `git clone --branch` cannot take (a pull request's head): an empty repository fetches it and checks
    /// out what it points at, or the commit asked for.
    private func fetch(_ ref: String, from source: String, into folder: URL, in workspace: URL, runner: LoggedProcessRunner) async throws {
        runner.log.info("# Fetching \(ref) of repository: \(Self.redacted(self.repository))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let latest = self.commitId.isEmpty || self.commitId == "HEAD"
        let steps: [[String]] = [
            ["init", "--quiet"],
            ["fetch", "--quiet", "--no-tags"] + (latest ? ["--depth", "1"] : []) + ["--", source, ref],
            ["checkout", "--quiet", "--detach", latest ? "FETCH_HEAD" : self.commitId],
        ]
        for arguments in steps {
            let tail = OutputTail()
            let outcome = try await self.git(arguments, in: folder, runner: runner) { bytes in
                tail.append(bytes)
                runner.log.append(bytes)
            }
            guard outcome == .exited(0) else {
                throw JobProgress.Interruption.failed(
                    "Could not fetch \(ref) of \(Self.redacted(self.repository)): \(Self.describe(outcome, tail: tail.text))"
                )
            }
        }
    }

    /// The commit checked out in `folder`, logged.
    private func checkedOut(_ folder: URL, runner: LoggedProcessRunner) async throws -> Commit {
        let output = OutputTail(limit: 64 * 1024)
        let show = try await self.git(["log", "-1", "--format=%H%x00%ct%x00%B"], in: folder, runner: runner, output: output.append)
        let fields = output.text.split(separator: "\0", maxSplits: 2, omittingEmptySubsequences: false)
        guard show == .exited(0), fields.count == 3, let seconds = Double(fields[1]) else {
            throw JobProgress.Interruption.failed("Could not read the commit that was cloned: \(Self.describe(show, tail: output.text))")
        }
        let commit = Commit(
            id: String(fields[0]), message: fields[2].trimmingCharacters(in: .whitespacesAndNewlines), time: Date(timeIntervalSince1970: seconds)
        )
        runner.log.info("# Checked out commit \(commit.id): \(commit.message.split(separator: "\n").first ?? "")")
        return commit
    }

    private func git(
        _ arguments: [String], in folder: URL, runner: LoggedProcessRunner, output: (@Sendable ([UInt8]) -> Void)? = nil
    ) async throws -> ProcessOutcome {
        var environment = self.environment
        environment["GIT_TERMINAL_PROMPT"] = "0"
        environment["GIT_ASKPASS"] = "true"
        return try await runner.run(
            ProcessCommand("git", arguments, environment: environment, workingDirectory: folder.path, marker: runner.marker),
            output: output
        )
    }

    private static func describe(_ outcome: ProcessOutcome, tail: String) -> String {
        let last = tail.split(separator: "\n").last.map { " (\($0.trimmingCharacters(in: .whitespaces)))" } ?? ""
        switch outcome {
        case .exited(let code): return "git exited with code \(code)\(last)."
        case .signaled(let signal): return "git was killed by signal \(signal)."
        case .stopped(let reason): return reason
        }
    }

    /// The repository URL without a password or token in it.
    static func redacted(_ repository: String) -> String {
        guard var components = URLComponents(string: repository), components.password != nil || components.user != nil else {
            return repository
        }
        components.user = nil
        components.password = nil
        return components.string ?? repository
    }
}

/// The last bytes a process wrote, kept to explain a failure.
private final class OutputTail: Sendable {
    private let bytes = Mutex<[UInt8]>([])
    private let limit: Int

    init(limit: Int = 2048) {
        self.limit = limit
    }

    func append(_ chunk: [UInt8]) {
        self.bytes.withLock { bytes in
            bytes.append(contentsOf: chunk)
            if bytes.count > self.limit { bytes.removeFirst(bytes.count - self.limit) }
        }
    }

    var text: String {
        String(decoding: self.bytes.withLock { $0 }, as: UTF8.self)
    }
}
