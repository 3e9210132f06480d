import Foundation

/// A commit a git branch points at, as a push build records it on its job.
public struct GitCommit: Codable, Sendable, Equatable {
    public var id: String
    public var message: String
    public var time: Date

    public init(id: String, message: String, time: Date) {
        self.id = id
        self.message = message
        self.time = time
    }

    /// A commit message ending in `[skip-cd]` builds nothing, as on Amplify.
    public var skipsBuild: Bool {
        self.message.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("[skip-cd]")
    }
}
