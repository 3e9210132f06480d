import AmplifyCore
import AmplifyProcess
import Foundation

/// The refs of a remote repository, as `git ls-remote --symref` lists them, asked with the app's token if it has one.
enum RemoteRefs {
    static func read(_ repository: String, token: String?, environment: [String: String], launcher: any ProcessLauncher) async throws -> GitRefs {
        var environment = environment
        if let token, !token.isEmpty, repository.lowercased().hasPrefix("http") {
            // As GitHub, Gitea and Forgejo take a token over HTTPS; in the environment, not the command line others can see.
            let credentials = Data("x-access-token:\(token)".utf8).base64EncodedString()
            environment["GIT_CONFIG_COUNT"] = "1"
            environment["GIT_CONFIG_KEY_0"] = "http.extraHeader"
            environment["GIT_CONFIG_VALUE_0"] = "Authorization: Basic \(credentials)"
        }
        let output = try await GitCommand(launcher: launcher, arguments: ["ls-remote", "--symref", "--", repository], environment: environment).output()
        return self.parse(output)
    }

    /// `<commit>\t<ref>` lines, and `ref: refs/heads/<name>\tHEAD` for the default branch.
    static func parse(_ output: String) -> GitRefs {
        var refs = GitRefs()
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: "\t", maxSplits: 1)
            guard fields.count == 2 else { continue }
            if fields[0].hasPrefix("ref: refs/heads/"), fields[1] == "HEAD" {
                refs.defaultBranch = String(fields[0].dropFirst("ref: refs/heads/".count))
            } else if LocalRefs.isCommitId(fields[0]) {
                refs.add(ref: String(fields[1]), commit: String(fields[0]))
            }
        }
        return refs
    }
}
