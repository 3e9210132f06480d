import Hummingbird
import NIOCore
import Synchronization

/// A request body that ends in 413 Content Too Large once more than `limit` bytes have come. `exceeded` says so
/// afterwards too: a consumer such as NIO's file system may throw an error of its own in its place.
struct ByteLimitedSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer

    let base: Base
    let limit: Int
    private let overflow = Overflow()

    init(base: Base, limit: Int) {
        self.base = base
        self.limit = limit
    }

    /// Whether more than `limit` bytes came (shared by every copy of this sequence and its iterators).
    var exceeded: Bool { self.overflow.flag.load(ordering: .relaxed) }

    fileprivate final class Overflow: Sendable {
        let flag = Atomic<Bool>(false)
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let limit: Int
        fileprivate let overflow: Overflow
        var seen = 0

        mutating func next() async throws -> ByteBuffer? {
            guard let buffer = try await self.base.next() else { return nil }
            self.seen += buffer.readableBytes
            if self.seen > self.limit {
                self.overflow.flag.store(true, ordering: .relaxed)
                throw HTTPError(.contentTooLarge, message: "The upload is larger than \(self.limit) bytes.")
            }
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.base.makeAsyncIterator(), limit: self.limit, overflow: self.overflow)
    }
}
