import ArgumentParser

/// `amplify-local serve`: the same as `amplify-local` with no command, for scripts that name it.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the Amplify API (what amplify-local does with no command).")

    @OptionGroup var options: ServeOptions

    func run() async throws {
        try await self.options.serve()
    }
}
