import Hummingbird
import NIOCore

/// A response body read into one buffer (`SiteResponseMemo` keeps answers whole).
final class BodyCollector: ResponseBodyWriter {
    private var buffer = ByteBuffer()

    static func collect(_ body: ResponseBody) async throws -> ByteBuffer {
        let collector = BodyCollector()
        try await body.write(collector)
        return collector.buffer
    }

    func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        self.buffer.writeBuffer(&buffer)
    }

    func write(contentsOf buffers: some Sequence<ByteBuffer>) async throws {
        for buffer in buffers { try await self.write(buffer) }
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
