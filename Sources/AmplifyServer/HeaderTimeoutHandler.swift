import AmplifyCore
import NIOCore
import NIOHTTPTypes

/// Bounds how long a request's head may take (`--header-timeout`): from the connection's opening, or from the first
/// byte of a later request on a kept-alive connection, its head (request line and headers) must be whole within the
/// timeout, or the connection is closed — with a 408 when part of a head came, silently when nothing did (a browser's
/// preconnected socket that was never used). A slow-dripped head (slowloris) so holds a connection this long at most.
///
/// A kept-alive connection idle between requests is not timed here but by Hummingbird's idle timeout
/// (`--idle-timeout`), which also ends a request whose body stops coming. The first byte of a request is seen by a
/// `ByteWatcher` put at the head of the pipeline, before the HTTP decoder keeps bytes to itself until a head is whole.
final class HeaderTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let timeout: TimeAmount
    private var context: ChannelHandlerContext?
    private var timer: Scheduled<Void>?
    /// Requests whose head came and whose response has not ended.
    private var inFlight = 0
    /// Some bytes of the head being waited for came (a 408 is owed, not a silent close).
    private var partialHead = false

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        try? context.pipeline.syncOperations.addHandler(ByteWatcher(owner: self), position: .first)
        if context.channel.isActive { self.arm() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.disarm()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        self.arm()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.disarm()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head:
            self.disarm()
            self.inFlight += 1
            self.partialHead = false
        case .body, .end:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = self.unwrapOutboundIn(data), self.inFlight > 0 {
            self.inFlight -= 1
        }
        context.write(data, promise: promise)
    }

    /// Bytes came from the peer (before decoding): when no request is under way, they begin the next head. (Bytes
    /// of a pipelined request behind one still answered are left to the idle timeout.)
    fileprivate func bytesArrived() {
        guard self.inFlight == 0 else { return }
        self.partialHead = true
    }

    /// The timer starts only when a read ends with a head begun and not finished: a head that came whole in one read
    /// (nearly every request) schedules nothing (a timer per request was ~1% of a site request in the profile).
    func channelReadComplete(context: ChannelHandlerContext) {
        if self.partialHead && self.inFlight == 0 { self.arm() }
        context.fireChannelReadComplete()
    }

    private func arm() {
        guard self.timer == nil, let context = self.context else { return }
        self.timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: self.timeout) { [self] in
            self.timer = nil
            self.expired()
        }
    }

    private func disarm() {
        self.timer?.cancel()
        self.timer = nil
    }

    private func expired() {
        guard let context = self.context, context.channel.isActive else { return }
        guard self.partialHead else {
            context.close(promise: nil)
            return
        }
        let seconds = self.timeout.nanoseconds / 1_000_000_000
        let message = "The request's head (request line and headers) did not arrive within \(seconds) seconds (--header-timeout)."
        AWSError(AmplifyError(.requestTimeout, message)).answer(closing: context)
    }

    /// Sees raw bytes come in, first in the pipeline, and tells its `HeaderTimeoutHandler`; it keeps nothing.
    final class ByteWatcher: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer

        private let owner: HeaderTimeoutHandler

        init(owner: HeaderTimeoutHandler) {
            self.owner = owner
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            self.owner.bytesArrived()
            context.fireChannelRead(data)
        }
    }
}
