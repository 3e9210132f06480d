import AmplifyCore
import Foundation

/// Takes a build's artifacts out of its workspace: the regular files under `base` that match one of the
/// patterns, moved (or copied, for a deployment from a folder) into the job's site folder (flattened
/// with `discard-paths`). Symbolic links and `.git` are left behind, so nothing outside `base` can
/// become part of a site.
struct ArtifactCollector: Sendable {
    struct Result: Sendable {
        var files = 0
        var bytes: Int64 = 0
        var notes: [String] = []
    }

    let base: URL
    /// `artifacts.baseDirectory` as the build spec wrote it, for messages.
    let baseName: String
    let patterns: [FileGlob]
    let discardPaths: Bool
    var copy = false

    /// `relative` (the build spec's `appRoot` and `artifacts.baseDirectory`) inside the cloned `repository`, its links
    /// resolved there (`ContainedPath`): a base folder that is, or passes through, a link out of the repository (to
    /// `/etc`, or to the server's data folder, which the build itself cannot see) fails the job instead of being
    /// deployed by the server.
    static func baseFolder(_ relative: String, in repository: URL) throws -> URL {
        let root = repository.standardizedFileURL.resolvingSymlinksInPath().path
        guard let parts = ContainedPath.resolve(relative, link: ContainedPath.links(under: root)) else {
            throw JobProgress.Interruption.failed(
                "The artifacts folder \(relative) leads outside the repository through a symbolic link (artifacts.baseDirectory); only the build's own files are deployed."
            )
        }
        return URL(fileURLWithPath: ([root] + parts).joined(separator: "/"), isDirectory: true)
    }

    func collect(into destination: URL) throws -> Result {
        let manager = FileManager.default
        guard RealBuild.isDirectory(self.base) else {
            throw JobProgress.Interruption.failed("The artifacts folder \(self.baseName) was not found after the build (artifacts.baseDirectory).")
        }
        try? manager.removeItem(at: destination)
        try manager.createDirectory(at: destination, withIntermediateDirectories: true)
        var result = Result()
        var skippedLinks = 0
        let basePath = self.base.standardizedFileURL.resolvingSymlinksInPath().path
        guard let walker = manager.enumerator(atPath: basePath) else { return result }
        while let relative = walker.nextObject() as? String {
            if relative == ".git" || relative.hasPrefix(".git/") {
                walker.skipDescendants()
                continue
            }
            let source = basePath + "/" + relative
            guard let attributes = try? manager.attributesOfItem(atPath: source), let type = attributes[.type] as? FileAttributeType else { continue }
            if type == .typeSymbolicLink {
                skippedLinks += 1
                walker.skipDescendants()
                continue
            }
            guard type == .typeRegular, self.patterns.contains(where: { $0.matches(relative) }) else { continue }
            // Never through a linked folder, should the walk have followed one.
            guard URL(fileURLWithPath: source).resolvingSymlinksInPath().path == source else { continue }
            let target = destination.appending(path: self.discardPaths ? (relative as NSString).lastPathComponent : relative)
            try manager.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            if manager.fileExists(atPath: target.path) {
                result.notes.append("[WARNING]: \(relative) has the same name as another artifact (discard-paths); the later one is kept.")
                try manager.removeItem(at: target)
            }
            if self.copy {
                try manager.copyItem(atPath: source, toPath: target.path)
            } else {
                try manager.moveItem(atPath: source, toPath: target.path)
            }
            result.files += 1
            result.bytes += (attributes[.size] as? NSNumber)?.int64Value ?? 0
        }
        if skippedLinks > 0 {
            result.notes.append("[WARNING]: \(skippedLinks) symbolic links under \(self.baseName) were not deployed.")
        }
        return result
    }
}
