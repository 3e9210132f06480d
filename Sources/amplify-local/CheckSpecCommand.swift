import AmplifyBuilds
import ArgumentParser
import Foundation

/// `amplify-local check-spec [FILE]`: reads a build spec as a build would (the same reader), without a server, and
/// prints what a build takes from it as JSON, or why it is refused.
struct CheckSpecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-spec",
        abstract: "Read an amplify.yml as a build would: print its phases, artifacts and warnings as JSON, or why it is refused."
    )

    @Argument(help: "The build spec to read.")
    var file = "amplify.yml"

    @Option(name: .customLong("app-root"), help: "The application to read in a monorepo spec (AMPLIFY_MONOREPO_APP_ROOT).")
    var appRoot: String?

    func run() throws {
        guard let data = FileManager.default.contents(atPath: self.file) else {
            try Self.refuse("\(self.file) cannot be read.")
        }
        guard let yaml = String(data: data, encoding: .utf8) else {
            try Self.refuse("Invalid build spec (\(self.file)): it is not UTF-8 text.")
        }
        switch BuildSpecCheck.summary(yaml: yaml, monorepoAppRoot: self.appRoot) {
        case .success(let summary):
            print(String(decoding: summary, as: UTF8.self))
        case .failure(let failure):
            try Self.refuse("Invalid build spec (\(self.file)): \(failure.message)")
        }
    }

    /// Says why on standard error and exits 1.
    private static func refuse(_ message: String) throws -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        throw ExitCode.failure
    }
}
