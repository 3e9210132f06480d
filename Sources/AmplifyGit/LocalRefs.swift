import AmplifyCore
import Foundation

/// The refs of a repository on this machine, read from its files (loose refs under `refs/` and `packed-refs`)
/// without starting git: following an idle repository costs a few small reads.
enum LocalRefs {
    typealias Failure = GitCommand.Failure

    /// The folder git keeps the repository in: `<path>/.git` (or where a `.git` file points), or `path` for a bare one.
    /// The repository, and the folder a `.git` file points at, must be in a folder `sources` allows (`--deploy-from`).
    static func gitDirectory(_ repository: String, sources: SourceFolders) throws -> String {
        let path: String
        switch sources.check(self.path(repository), as: "The repository \(repository)") {
        case .allowed(let resolved): path = resolved
        case .refused(let reason): throw Failure(description: reason)
        }
        let dotGit = (path as NSString).appendingPathComponent(".git")
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: dotGit, isDirectory: &isDirectory) {
            guard !isDirectory.boolValue else { return dotGit }
            // A worktree or submodule: `.git` is a file that says `gitdir: <folder>`.
            let text = (try? String(contentsOfFile: dotGit, encoding: .utf8)) ?? ""
            guard let line = text.split(separator: "\n").first, line.hasPrefix("gitdir: ") else {
                throw Failure(description: "\(dotGit) is neither a folder nor a gitdir file")
            }
            let target = String(line.dropFirst("gitdir: ".count)).trimmingCharacters(in: .whitespaces)
            switch sources.check(target, as: "The repository \(repository) keeps its files in \(target), which", base: path) {
            case .allowed(let resolved): return resolved
            case .refused(let reason): throw Failure(description: reason)
            }
        }
        guard FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("HEAD")) else {
            throw Failure(description: "no git repository at \(path)")
        }
        return path
    }

    /// The repository's path: a `file://` URL's, or a relative path taken from the server's working folder.
    static func path(_ repository: String) -> String {
        RepositoryLocation.localPath(repository) ?? repository
    }

    static func read(_ repository: String, sources: SourceFolders) throws -> GitRefs {
        let gitDirectory = try self.gitDirectory(repository, sources: sources)
        // A worktree keeps its HEAD; the refs are the main repository's (`commondir`), which must be allowed too.
        var common = gitDirectory
        if let line = self.text(gitDirectory, "commondir") {
            switch sources.check(line, as: "The repository \(repository) keeps its refs in \(line), which", base: gitDirectory) {
            case .allowed(let resolved): common = resolved
            case .refused(let reason): throw Failure(description: reason)
            }
        }
        var refs = GitRefs()
        for line in (self.text(common, "packed-refs", whole: true) ?? "").split(separator: "\n") {
            guard !line.hasPrefix("#"), !line.hasPrefix("^") else { continue }
            let fields = line.split(separator: " ", maxSplits: 1)
            guard fields.count == 2, Self.isCommitId(fields[0]) else { continue }
            refs.add(ref: String(fields[1]), commit: String(fields[0]))
        }
        // Loose refs are newer than packed ones of the same name.
        for folder in ["refs/heads", "refs/pull"] {
            let root = (common as NSString).appendingPathComponent(folder)
            guard let names = FileManager.default.enumerator(atPath: root) else { continue }
            for case let name as String in names {
                guard let commit = self.text(root, name), Self.isCommitId(Substring(commit)) else { continue }
                refs.add(ref: "\(folder)/\(name)", commit: commit)
            }
        }
        if let head = self.text(gitDirectory, "HEAD"), head.hasPrefix("ref: refs/heads/") {
            refs.defaultBranch = String(head.dropFirst("ref: refs/heads/".count))
        }
        return refs
    }

    /// A small file's first line (or its whole text), or nil when it is not a readable file.
    private static func text(_ folder: String, _ name: String, whole: Bool = false) -> String? {
        guard let data = FileManager.default.contents(atPath: (folder as NSString).appendingPathComponent(name)) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        return whole ? text : text.split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    static func isCommitId(_ text: Substring) -> Bool {
        (text.count == 40 || text.count == 64) && text.allSatisfy(\.isHexDigit)
    }
}
