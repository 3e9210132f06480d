/// A build spec file pattern (`**/*`, `*.html`, `assets/**`, `img/?.png`) matched against a relative path:
/// `**` as a whole component matches any number of folders, `*` any characters but `/`, `?` one character.
public struct FileGlob: Sendable, Equatable {
    private let components: [Substring]

    public init(_ pattern: String) {
        var pattern = Substring(pattern)
        while pattern.hasPrefix("./") { pattern = pattern.dropFirst(2) }
        if pattern.hasPrefix("/") { pattern = pattern.dropFirst() }
        self.components = pattern.split(separator: "/", omittingEmptySubsequences: true)
    }

    public func matches(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        return Self.match(self.components[...], parts[...])
    }

    /// The folder before the first component with a wildcard: `node_modules/**/*` → `node_modules`.
    public var literalPrefix: String {
        self.components.prefix { !$0.contains(where: { "*?[".contains($0) }) }.joined(separator: "/")
    }

    private static func match(_ pattern: ArraySlice<Substring>, _ path: ArraySlice<Substring>) -> Bool {
        guard let first = pattern.first else { return path.isEmpty }
        if first == "**" {
            let rest = pattern.dropFirst()
            // `dir/**` matches everything below dir.
            if rest.isEmpty { return true }
            var tail = path
            while true {
                if Self.match(rest, tail) { return true }
                guard !tail.isEmpty else { return false }
                tail = tail.dropFirst()
            }
        }
        guard let part = path.first, Self.matchComponent(Array(first.utf8)[...], Array(part.utf8)[...]) else { return false }
        return Self.match(pattern.dropFirst(), path.dropFirst())
    }

    private static func matchComponent(_ pattern: ArraySlice<UInt8>, _ name: ArraySlice<UInt8>) -> Bool {
        guard let first = pattern.first else { return name.isEmpty }
        switch first {
        case UInt8(ascii: "*"):
            var tail = name
            while true {
                if Self.matchComponent(pattern.dropFirst(), tail) { return true }
                guard !tail.isEmpty else { return false }
                tail = tail.dropFirst()
            }
        case UInt8(ascii: "?"):
            return !name.isEmpty && Self.matchComponent(pattern.dropFirst(), name.dropFirst())
        default:
            return name.first == first && Self.matchComponent(pattern.dropFirst(), name.dropFirst())
        }
    }
}
