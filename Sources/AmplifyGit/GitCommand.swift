import AmplifyProcess
import Foundation

/// One run of `git` whose output is read whole (ref listings and commit headers are small), stopped after `timeout`.
struct GitCommand: Sendable {
    var launcher: any ProcessLauncher
    var arguments: [String]
    /// The server's environment (its credentials and SSH agent), with git's prompts off.
    var environment: [String: String]
    var workingDirectory: String?
    var timeout: Duration = .seconds(30)

    /// Why git, or reading a repository's files, gave no answer (said as git says it).
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Git's standard output; throws with the last line git wrote on standard error when it fails.
    func output() async throws -> String {
        var variables = self.environment
        variables["GIT_TERMINAL_PROMPT"] = "0"
        variables["GIT_ASKPASS"] = "true"
        let command = ProcessCommand("git", self.arguments, environment: variables, workingDirectory: self.workingDirectory ?? "/")
        let result = try await self.launcher.capture(command, timeout: self.timeout)
        switch result.outcome {
        case .exited(0):
            return result.output
        case .stopped(let reason):
            throw Failure(description: reason)
        default:
            let last = result.error.split(separator: "\n").last.map(String.init) ?? "\(result.outcome)"
            throw Failure(description: last.trimmingCharacters(in: .whitespaces))
        }
    }
}
