import Foundation

/// What a new reading of a followed repository's refs does, compared with the reading recorded before it.
public enum RefsReading: Sendable, Equatable {
    /// The first reading (or the first of a new repository): where following starts. It is recorded and builds
    /// nothing.
    case first
    /// Nothing to record: the same refs, or a listing without branches (a repository being rewritten, a host
    /// answering oddly), which is not believed: it deletes nothing.
    case ignored
    /// The refs moved: recorded only if the recorded reading is still `old` (another node or a notification may have
    /// recorded one meanwhile: then this one does nothing), and then `changes` are acted on.
    case changed(from: GitRefs, changes: [GitRefs.Change])

    /// Compares `refs` with `recorded`, the reading recorded for the same repository (nil when there is none).
    public init(_ refs: GitRefs, after recorded: GitRefs?) {
        guard let recorded else {
            self = .first
            return
        }
        guard refs != recorded, !refs.branches.isEmpty else {
            self = .ignored
            return
        }
        self = .changed(from: recorded, changes: refs.changes(since: recorded))
    }
}
