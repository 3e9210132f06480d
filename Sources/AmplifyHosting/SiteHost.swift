/// The site a request's `Host` names: `<displayName>.<appId>.localhost[:port]` is a branch's site,
/// `<appId>.localhost[:port]` the app's production branch; the same under `amplifyapp.com`, the domain AWS hands out
/// (GetApp's `defaultDomain`), for requests that reach this server through a hosts-file entry, `curl --resolve` or a
/// proxy. Anything else is for the API.
public struct SiteHost: Equatable, Sendable {
    public var appId: String
    public var displayName: String?

    public init?(_ host: String) {
        var name = Substring(host.lowercased())
        if let colon = name.lastIndex(of: ":"), name[name.index(after: colon)...].allSatisfy(\.isNumber) {
            name = name[..<colon]
        }
        if name.hasSuffix(".") { name = name.dropLast() }
        guard let suffix = Self.suffixes.first(where: { name.hasSuffix($0) }) else { return nil }
        let labels = name.dropLast(suffix.count).split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(labels.count), labels.allSatisfy({ !$0.isEmpty }) else { return nil }
        self.appId = String(labels[labels.count - 1])
        self.displayName = labels.count == 2 ? String(labels[0]) : nil
    }

    static let suffixes = [".localhost", ".amplifyapp.com"]
}
