/// The site a request's `Host` names: `<displayName>.<appId>.localhost[:port]` is a branch's site,
/// `<appId>.localhost[:port]` the app's production branch; the same under `amplifyapp.com`, the domain AWS hands out
/// (GetApp's `defaultDomain`), for requests that reach this server through a hosts-file entry, `curl --resolve` or a
/// proxy. Anything else is for the API.
public struct SiteHost: Equatable, Sendable {
    public var appId: String
    public var displayName: String?

    public init?(_ host: String) {
        let name = HostName.bytes(host)
        guard let suffix = Self.suffixes.first(where: { name.count > $0.count && name.suffix($0.count).elementsEqual($0) }) else { return nil }
        let labels = name.dropLast(suffix.count).split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard (1...2).contains(labels.count), labels.allSatisfy({ !$0.isEmpty }) else { return nil }
        self.appId = String(decoding: labels[labels.count - 1], as: UTF8.self)
        self.displayName = labels.count == 2 ? String(decoding: labels[0], as: UTF8.self) : nil
    }

    static let suffixes = [Array(".localhost".utf8), Array(".amplifyapp.com".utf8)]
}
