import Foundation

/// Finding programs the server runs (git, node, ip, vipsthumbnail…) on a `PATH`, and the `PATH` processes get when
/// the server's own environment has none.
public enum SearchPath {
    /// The usual folders of a Linux system.
    public static let standard = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Where `program` is in a folder of `path` (a `PATH` value; nil: the standard one), nil when no folder has it.
    public static func find(_ program: String, in path: String? = nil) -> String? {
        (path ?? Self.standard).split(separator: ":").lazy.map { "\($0)/\(program)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
