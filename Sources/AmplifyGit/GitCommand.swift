import Foundation
import Subprocess
import SystemPackage

/// One run of `git` whose output is read whole (ref listings and commit headers are small), stopped after `timeout`.
struct GitCommand: Sendable {
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
        let environment = Environment.custom(Dictionary(uniqueKeysWithValues: variables.compactMap { key, value in
            Environment.Key(rawValue: key).map { ($0, value) }
        }))
        let arguments = Arguments(self.arguments)
        let directory = self.workingDirectory.map { FilePath($0) }
        let timeout = self.timeout
        let result = try await withThrowingTaskGroup(of: Outcome?.self) { group in
            group.addTask {
                let result = try await Subprocess.run(
                    .name("git"), arguments: arguments, environment: environment, workingDirectory: directory,
                    output: .string(limit: 16 * 1024 * 1024), error: .string(limit: 64 * 1024)
                )
                return Outcome(status: result.terminationStatus, output: result.standardOutput, error: result.standardError)
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else {
                throw Failure(description: "git \(self.arguments.first ?? "") did not answer within \(timeout)")
            }
            return result
        }
        guard case .exited(0) = result.status else {
            let last = result.error.split(separator: "\n").last.map(String.init) ?? "\(result.status)"
            throw Failure(description: last.trimmingCharacters(in: .whitespaces))
        }
        return result.output
    }

    private struct Outcome: Sendable {
        var status: TerminationStatus
        var output: String
        var error: String
    }
}
