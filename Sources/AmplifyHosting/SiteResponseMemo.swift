import AmplifyCore
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// Sites' answers kept whole in memory, for the requests that would get the same answer again: a GET of the same
/// `Host` and path (query included), asking for no part of the file and no comparison (`Range`, `If-…`), while the
/// store has had no write since the answer was made (`Store.writeGeneration`, so only with a store that this server
/// alone writes). `SiteMiddleware` keeps only answers that depend on nothing else of the request: a file served 200
/// from a static deployment, without basic auth or skew protection. A hit reads no store, no file and no rule.
final class SiteResponseMemo: Sendable {
    struct Answer: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: ByteBuffer
        var scope: Scope
        var appId: String
    }

    /// A larger answer is not kept (it is streamed from its file): `SiteMiddleware` reads no larger body to keep.
    static let maxAnswerBytes = SiteFileSystem.smallFileBytes
    /// What the memo may hold in all; when an answer would go past it, the memo starts again empty.
    static let capacityBytes = 64 * 1024 * 1024

    private struct State {
        var generation = Int.min
        var answers: [String: Answer] = [:]
        var bytes = 0
    }

    private let state = Mutex(State())

    /// The request's key, or nil when its answer may depend on more than its host and path.
    static func key(_ request: Request) -> String? {
        guard request.method == .get, let host = request.head.authority, let path = request.head.path else { return nil }
        for name in Self.partialOrConditional where request.headers[name] != nil { return nil }
        return host + " " + path
    }

    private static let partialOrConditional: [HTTPField.Name] = [.range, .ifRange, .ifMatch, .ifNoneMatch, .ifModifiedSince, .ifUnmodifiedSince]

    /// The answer kept for `key`, if it was made at the store's current `generation`.
    func answer(_ key: String, generation: Int) -> Answer? {
        self.state.withLock { state in
            guard state.generation == generation else {
                if generation > state.generation { state = State(generation: generation) }
                return nil
            }
            return state.answers[key]
        }
    }

    /// Keeps `answer` (of at most `maxAnswerBytes`), made from reads at `generation`, unless the store has been written
    /// since.
    func keep(_ answer: Answer, for key: String, generation: Int) {
        let size = answer.body.readableBytes + key.utf8.count
        self.state.withLock { state in
            if generation > state.generation { state = State(generation: generation) }
            guard generation == state.generation else { return }
            if state.bytes + size > Self.capacityBytes { (state.answers, state.bytes) = ([:], 0) }
            if let old = state.answers.updateValue(answer, forKey: key) { state.bytes -= old.body.readableBytes + key.utf8.count }
            state.bytes += size
        }
    }
}
