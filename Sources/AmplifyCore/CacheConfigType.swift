/// How the CDN caches an app's sites.
public enum CacheConfigType: String, Codable, Sendable, CaseIterable {
    case amplifyManaged = "AMPLIFY_MANAGED"
    case amplifyManagedNoCookies = "AMPLIFY_MANAGED_NO_COOKIES"
}
