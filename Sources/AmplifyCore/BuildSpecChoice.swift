/// Which build spec a build uses, as AWS picks it: the branch's `buildSpec` (set through the API, the most specific),
/// else `amplify.yml` in the repository (AWS: the app's build settings apply "unless there is an amplify.yml file
/// stored in your repository"), else the app's `buildSpec`, else one for the framework detected.
public enum BuildSpecChoice: Equatable, Sendable {
    /// The branch's, over the ones named (`the repository's amplify.yml`, `the app's buildSpec`).
    case branch(overriding: [String])
    /// The repository's file, over the app's when it has one.
    case repository(file: String, overridingApp: Bool)
    case app
    /// None anywhere: the framework is detected.
    case detection

    /// The choice for a branch and an app whose `buildSpec`s are given (empty counts as none) and a repository with
    /// the build spec file `repositoryFile` (nil: none).
    public static func of(branchSpec: String?, repositoryFile: String?, appSpec: String?) -> BuildSpecChoice {
        let appHasOne = !(appSpec ?? "").isEmpty
        if !(branchSpec ?? "").isEmpty {
            return .branch(overriding: [repositoryFile.map { "the repository's \($0)" }, appHasOne ? "the app's buildSpec" : nil].compactMap { $0 })
        }
        if let repositoryFile { return .repository(file: repositoryFile, overridingApp: appHasOne) }
        return appHasOne ? .app : .detection
    }

    /// Where the build spec came from, as the build's log says it.
    public var source: String {
        switch self {
        case .branch(let overridden):
            return "the branch's buildSpec" + (overridden.isEmpty ? "" : " (it takes precedence over \(overridden.joined(separator: " and ")))")
        case .repository(let file, let overridingApp):
            return "\(file) in the repository" + (overridingApp ? " (a build spec in the repository takes precedence over the app's buildSpec)" : "")
        case .app:
            return "the app's buildSpec (the branch has none and the repository has no amplify.yml)"
        case .detection:
            return "the framework detected (the branch and the app have no buildSpec, and the repository has no amplify.yml)"
        }
    }
}
