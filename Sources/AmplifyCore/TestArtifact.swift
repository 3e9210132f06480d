import Foundation

/// A file a job's TEST step collected from the build spec's `test.artifacts` (ListArtifacts, GetArtifactUrl), its
/// screenshots (the step's `screenshots`), or its `configFilePath` file (the step's `testConfigUrl`).
public struct TestArtifact: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// A file of `test.artifacts.files`.
        case file
        /// An image under a `screenshots` folder (where Cypress puts them); also listed as an artifact.
        case screenshot
        /// The file `configFilePath` names (a test report); not an artifact.
        case config

        /// Kinds as one text that SQL tests membership in (`,file,screenshot,`).
        public static func list(_ kinds: Set<Kind>) -> String {
            "," + kinds.map(\.rawValue).sorted().joined(separator: ",") + ","
        }
    }

    /// Stable and unique across every job: GetArtifactUrl takes it alone.
    public var artifactId: String
    /// The path relative to `test.artifacts.baseDirectory`.
    public var fileName: String
    public var bytes: Int64
    public var kind: Kind

    public init(artifactId: String = Self.newId(), fileName: String, bytes: Int64, kind: Kind) {
        self.artifactId = artifactId
        self.fileName = fileName
        self.bytes = bytes
        self.kind = kind
    }

    /// The kinds ListArtifacts lists.
    public static let listed: Set<Kind> = [.file, .screenshot]

    public static func newId() -> String {
        UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }

    /// Whether a collected file is a screenshot: an image under a folder named `screenshots` (Cypress's
    /// `cypress/screenshots/<spec>/<test> (failed).png`).
    public static func isScreenshot(_ path: String) -> Bool {
        let parts = path.split(separator: "/")
        let imageTypes: Set<String> = ["png", "jpg", "jpeg", "gif", "webp"]
        guard parts.dropLast().contains("screenshots"), let last = parts.last, let dot = last.lastIndex(of: ".") else { return false }
        return imageTypes.contains(last[last.index(after: dot)...].lowercased())
    }
}
