/// How a job was started.
public enum JobType: String, Codable, Sendable, CaseIterable {
    case release = "RELEASE"
    case retry = "RETRY"
    case manual = "MANUAL"
    case webHook = "WEB_HOOK"
}
