import AmplifyCore
import Foundation
import ZIPFoundation

/// Takes a TEST step's output out of the workspace: the report `configFilePath` names, and the files of
/// `test.artifacts` (as `ArtifactCollector` picks them: regular files, no links, no `.git`), each kept under its new
/// artifact id, with a zip of them all (`testArtifactsUrl`).
struct TestArtifactCollector: Sendable {
    struct Result: Sendable {
        var artifacts: [TestArtifact] = []
        var notes: [String] = []
    }

    let spec: BuildSpec.TestArtifacts
    let appRoot: URL
    let files: SiteFiles
    let key: JobKey
    /// A folder of the workspace the files pass through.
    let staging: URL

    func collect() throws -> Result {
        let manager = FileManager.default
        var result = Result()
        let base = self.appRoot.appending(path: self.spec.baseDirectory, directoryHint: .isDirectory)
        let folder = self.files.testArtifacts(self.key)
        try? manager.removeItem(at: folder)
        guard RealBuild.isDirectory(base) else {
            result.notes.append("[WARNING]: The test artifacts folder \(self.spec.baseDirectory) was not found (test.artifacts.baseDirectory); no artifacts were collected.")
            return result
        }
        try manager.createDirectory(at: folder, withIntermediateDirectories: true)
        if let pattern = self.spec.configFilePath {
            if let config = Self.firstFile(under: base, matching: FileGlob(pattern)) {
                let artifact = TestArtifact(fileName: config.relative, bytes: config.bytes, kind: .config)
                try manager.copyItem(at: config.url, to: self.files.testArtifact(self.key, artifactId: artifact.artifactId))
                result.artifacts.append(artifact)
                result.notes.append("Test report: \(config.relative) (test.artifacts.configFilePath).")
            } else {
                result.notes.append("[WARNING]: No file matches test.artifacts.configFilePath \(pattern) under \(self.spec.baseDirectory).")
            }
        }
        let collected = try ArtifactCollector(
            base: base, baseName: self.spec.baseDirectory, patterns: self.spec.files.map(FileGlob.init), discardPaths: false
        ).collect(into: self.staging)
        result.notes += collected.notes
        let archive = try Archive(url: self.files.testArtifactsZip(self.key), accessMode: .create)
        let stagingPath = self.staging.standardizedFileURL.path
        for relative in ((try? manager.subpathsOfDirectory(atPath: stagingPath)) ?? []).sorted() {
            let source = URL(fileURLWithPath: stagingPath + "/" + relative)
            guard let attributes = try? manager.attributesOfItem(atPath: source.path), attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            let bytes = (attributes[.size] as? NSNumber)?.int64Value ?? 0
            let artifact = TestArtifact(fileName: relative, bytes: bytes, kind: TestArtifact.isScreenshot(relative) ? .screenshot : .file)
            try archive.addEntry(with: relative, fileURL: source, compressionMethod: .deflate)
            try manager.moveItem(at: source, to: self.files.testArtifact(self.key, artifactId: artifact.artifactId))
            result.artifacts.append(artifact)
        }
        try? manager.removeItem(at: self.staging)
        let listed = result.artifacts.filter { $0.kind != .config }
        let screenshots = listed.filter { $0.kind == .screenshot }.count
        result.notes.append(
            "Collected \(listed.count) test artifacts (\(listed.reduce(0) { $0 + $1.bytes }) bytes\(screenshots > 0 ? ", \(screenshots) screenshots" : "")) from \(self.spec.baseDirectory)."
        )
        return result
    }

    /// The first regular file under `base` (in path order) whose path relative to it matches `pattern`.
    private static func firstFile(under base: URL, matching pattern: FileGlob) -> (url: URL, relative: String, bytes: Int64)? {
        let manager = FileManager.default
        let basePath = base.standardizedFileURL.resolvingSymlinksInPath().path
        let matches = ((try? manager.subpathsOfDirectory(atPath: basePath)) ?? []).filter { pattern.matches($0) }
        for relative in matches.sorted() {
            let path = basePath + "/" + relative
            guard let attributes = try? manager.attributesOfItem(atPath: path), attributes[.type] as? FileAttributeType == .typeRegular,
                URL(fileURLWithPath: path).resolvingSymlinksInPath().path == path
            else { continue }
            return (URL(fileURLWithPath: path), relative, (attributes[.size] as? NSNumber)?.int64Value ?? 0)
        }
        return nil
    }
}
