import Foundation

/// The Node.js installations builds may pick with `nvm` (`--node-versions`): a folder in nvm's own layout
/// (`DIR/v20.18.0/bin/node`, what `$NVM_DIR/versions/node` holds). By default the server user's
/// `~/.nvm/versions/node` when it exists; the machine's own `node` (on PATH) is nvm's `system` either way.
public struct NodeVersions: Sendable, Equatable {
    /// The folder, nil for none.
    public var folder: String?

    public init(folder: String?) {
        self.folder = folder
    }

    /// `~/.nvm/versions/node` of `home`, when it is a folder.
    public static func defaultFolder(home: String?) -> String? {
        guard let home, !home.isEmpty else { return nil }
        let folder = URL(fileURLWithPath: home).appending(path: ".nvm/versions/node").path
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) && isDirectory.boolValue ? folder : nil
    }

    /// The versions installed (`v20.18.0`), oldest first, as nvm sorts them.
    public var installed: [String] {
        guard let folder = self.folder, let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        let versions = names.compactMap { name -> (String, [Int])? in
            guard name.hasPrefix("v"), FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)/bin/node") else { return nil }
            let parts = name.dropFirst().split(separator: ".").compactMap { Int($0) }
            return parts.count == 3 ? (name, parts) : nil
        }
        return versions.sorted { $0.1.lexicographicallyPrecedes($1.1) }.map(\.0)
    }

    /// For the BUILD log's first lines: `v20.18.0, v22.20.0 (--node-versions /opt/node)`.
    public var description: String {
        guard let folder = self.folder else { return "none (--node-versions): nvm has only the machine's own node" }
        let installed = self.installed
        return "\(installed.isEmpty ? "none" : installed.joined(separator: ", ")) in \(folder) (--node-versions)"
    }
}
