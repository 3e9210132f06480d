/// A branch's stage. NONE until one is set (the service's answer; requests cannot set it).
public enum Stage: String, Codable, Sendable, CaseIterable {
    case production = "PRODUCTION"
    case beta = "BETA"
    case development = "DEVELOPMENT"
    case experimental = "EXPERIMENTAL"
    case pullRequest = "PULL_REQUEST"
    case none = "NONE"
}
