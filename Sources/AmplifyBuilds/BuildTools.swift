import AmplifyCore
import Foundation

/// The programs a real build runs (git clones, bash runs the build spec, tar keeps the cache), looked up on the
/// server's `PATH` at start: a machine without them simulates builds in mode `auto`, and refuses mode `run`.
public enum BuildTools {
    public static let required = ["git", "bash", "tar"]

    /// Those of `required` that no folder of `path` (a `PATH` value) holds as an executable file.
    public static func missing(path: String?) -> [String] {
        self.required.filter { !self.exists($0, path: path) }
    }

    /// Whether a folder of `path` (a `PATH` value) holds `tool` as an executable file.
    static func exists(_ tool: String, path: String?) -> Bool {
        SearchPath.find(tool, in: path) != nil
    }
}
