import Foundation

/// An app whose repository a node follows, with the refs recorded at the last reading of that repository (nil
/// before the first one, and after the app's repository changed: that reading only records, it builds nothing).
public struct FollowedRepository: Sendable, Equatable {
    public var app: App
    public var refs: GitRefs?

    public init(app: App, refs: GitRefs?) {
        self.app = app
        self.refs = refs
    }

    /// Which apps are followed: those with a repository. The reading recorded (`recordedRefs`, of
    /// `recordedRepository`) counts only if it was of the app's repository as it is now; nil for an app without one.
    public init?(app: App, recordedRepository: String?, recordedRefs: GitRefs?) {
        guard app.hasRepository, let repository = app.repository else { return nil }
        self.init(app: app, refs: recordedRepository == repository ? recordedRefs : nil)
    }

    /// The compare-and-set of recording a reading of `repository`: only while it is still the app's repository and
    /// the reading recorded is still `expected`, the one the reader compared with (else another node, or a git
    /// host's notification, recorded one meanwhile, and that one acts on the change).
    public func records(readingOf repository: String, expected: GitRefs?) -> Bool {
        self.app.repository == repository && self.refs == expected
    }
}
