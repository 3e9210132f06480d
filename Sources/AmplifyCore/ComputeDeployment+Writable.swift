import Foundation

extension ComputeDeployment {
    /// The folders of the deployment its compute writes while it runs (the rest is read-only, as on Lambda): for a
    /// Next.js server (`server.js` beside `.next/required-server-files.json`, as standalone output has it) its
    /// incremental cache, where ISR and `revalidate` write pages again (`.next/server/app`, `.next/server/pages`) and
    /// `fetch` and images are cached (`.next/cache`). Only real folders (no link on the way from the deployment's
    /// folder), so a link cannot make another part of the deployment writable.
    public var writableFolders: [String] {
        let server = ((self.workingDirectory + "/" + self.entrypoint) as NSString).deletingLastPathComponent
        guard (self.entrypoint as NSString).lastPathComponent == "server.js",
            Self.isPlain(server + "/.next/required-server-files.json", below: self.folder, file: true)
        else { return [] }
        return [".next/cache", ".next/server/app", ".next/server/pages"].map { server + "/" + $0 }.filter { Self.isPlain($0, below: self.folder, file: false) }
    }

    /// Whether `path` is a folder (or a regular file) reached from `top` through folders only, none of them a link.
    private static func isPlain(_ path: String, below top: String, file: Bool) -> Bool {
        guard path.hasPrefix(top + "/") else { return false }
        var current = top
        let parts = path.dropFirst(top.count + 1).split(separator: "/")
        for (index, part) in parts.enumerated() {
            guard part != "..", part != "." else { return false }
            current += "/" + part
            guard let type = (try? FileManager.default.attributesOfItem(atPath: current))?[.type] as? FileAttributeType else { return false }
            let last = index == parts.count - 1
            guard type == (last && file ? .typeRegular : .typeDirectory) else { return false }
        }
        return true
    }
}
