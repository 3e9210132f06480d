/// What a build does with a command that deploys (or reads) the app's backend on AWS — `amplifyPush --simple` (Gen 1),
/// `npx ampx pipeline-deploy` and `npx ampx generate outputs` (Gen 2) — which amplify-local does not emulate
/// (`--backend-builds`): either way the BUILD log says so in one line.
public enum BackendBuilds: String, Sendable, CaseIterable {
    /// The build fails at the command (the default: a frontend built without its backend is rarely what was meant).
    case fail
    /// The command is taken as succeeded, and the build goes on.
    case skip
}
