/// A build spec file pattern (`**/*`, `*.html`, `assets/**`, `img/?.png`) matched against a relative path:
/// `**` as a whole component matches any number of folders, `*` any characters but `/`, `?` one character.
public struct FileGlob: Sendable, Equatable {
    private let components: [Substring]
    /// The components' bytes, as matching reads them.
    private let componentBytes: [[UInt8]]

    public init(_ pattern: String) {
        var pattern = Substring(pattern)
        while pattern.hasPrefix("./") { pattern = pattern.dropFirst(2) }
        if pattern.hasPrefix("/") { pattern = pattern.dropFirst() }
        self.components = pattern.split(separator: "/", omittingEmptySubsequences: true)
        self.componentBytes = self.components.map { Array($0.utf8) }
    }

    public func matches(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map { Array($0.utf8) }
        return Self.match(self.componentBytes, parts)
    }

    /// The folder before the first component with a wildcard: `node_modules/**/*` → `node_modules`.
    public var literalPrefix: String {
        self.components.prefix { !$0.contains(where: { "*?[".contains($0) }) }.joined(separator: "/")
    }

    /// `**` is a star over the path's components, and `*` a star over a component's bytes: both matched by
    /// `Wildcard`'s two pointers, so a pattern of many stars costs a request no more than its length times the path's.
    private static func match(_ components: [[UInt8]], _ parts: [[UInt8]]) -> Bool {
        Wildcard.matches(pattern: components, text: parts, isStar: { $0 == Self.globstar }) { component, part in
            Wildcard.matches(pattern: component, text: part, star: UInt8(ascii: "*"), any: UInt8(ascii: "?"))
        }
    }

    private static let globstar = Array("**".utf8)
}
