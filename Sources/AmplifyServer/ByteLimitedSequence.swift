import Hummingbird
import NIOCore

/// A request body that ends in 413 Content Too Large once more than `limit` bytes have come.
struct ByteLimitedSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer

    let base: Base
    let limit: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let limit: Int
        var seen = 0

        mutating func next() async throws -> ByteBuffer? {
            guard let buffer = try await self.base.next() else { return nil }
            self.seen += buffer.readableBytes
            if self.seen > self.limit {
                throw HTTPError(.contentTooLarge, message: "The upload is larger than \(self.limit) bytes.")
            }
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.base.makeAsyncIterator(), limit: self.limit)
    }
}
