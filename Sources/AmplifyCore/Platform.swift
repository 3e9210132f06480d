/// How an app is hosted: static files (WEB), or server-side rendered through a compute (WEB_COMPUTE, and the older
/// WEB_DYNAMIC).
public enum Platform: String, Codable, Sendable, CaseIterable {
    case web = "WEB"
    case webDynamic = "WEB_DYNAMIC"
    case webCompute = "WEB_COMPUTE"
}
