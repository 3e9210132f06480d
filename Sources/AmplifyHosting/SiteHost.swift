/// The site a request's `Host` names: `<displayName>.<appId>.localhost[:port]` is a branch's site,
/// `<appId>.localhost[:port]` the app's production branch. Anything else is for the API.
public struct SiteHost: Equatable, Sendable {
    public var appId: String
    public var displayName: String?

    public init?(_ host: String) {
        var name = Substring(host.lowercased())
        if let colon = name.lastIndex(of: ":"), name[name.index(after: colon)...].allSatisfy(\.isNumber) {
            name = name[..<colon]
        }
        if name.hasSuffix(".") { name = name.dropLast() }
        guard name.hasSuffix(".localhost") else { return nil }
        let labels = name.dropLast(".localhost".count).split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(labels.count), labels.allSatisfy({ !$0.isEmpty }) else { return nil }
        self.appId = String(labels[labels.count - 1])
        self.displayName = labels.count == 2 ? String(labels[0]) : nil
    }
}
