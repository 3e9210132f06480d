import ArgumentParser
import AmplifyBuilds
import AmplifyCompute
import AmplifyCore
import AmplifyProcess
import AmplifyServer

@main
struct AmplifyLocalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "amplify-local",
        abstract: "A local, API-compatible AWS Amplify Hosting: serves the Amplify API (and the sites it deploys).",
        version: AmplifyLocal.version,
        subcommands: [Serve.self, SecretsCommand.self, CheckSpecCommand.self]
    )

    @OptionGroup var options: ServeOptions

    func run() async throws {
        try await self.options.serve()
    }
}

extension BuildMode: ExpressibleByArgument {}
extension Sandbox.Mode: ExpressibleByArgument {}
extension BuildRuntime: ExpressibleByArgument {}
extension BackendBuilds: ExpressibleByArgument {}

/// `--build-network`: whether sandboxed builds reach the network.
enum BuildNetwork: String, ExpressibleByArgument, CaseIterable {
    case all, none
}
extension AuthMode: ExpressibleByArgument {}
extension ComputeNamespaces.Mode: ExpressibleByArgument {}
