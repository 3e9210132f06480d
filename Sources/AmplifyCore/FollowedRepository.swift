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
}
