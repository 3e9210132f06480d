import AmplifyCore
import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Caps the connections open at once (`--max-connections`) below the file descriptors the process may open, so that
/// a flood of idle connections cannot take the descriptors the server needs for files, the database and builds' pipes,
/// nor lock every later client out: a connection past the cap is answered a 503 (`ServiceUnavailableException`,
/// which SDKs retry) and closed at once, and the next one is served as soon as one of those open ends (idle ones do
/// within `--header-timeout` or `--idle-timeout`).
///
/// Hummingbird's own `MaximumAvailableConnections` stops accepting instead: clients past the cap then wait in the
/// listen backlog with no answer, and once that is full their connections hang — refused late, not at once.
public final class ConnectionLimiter: Sendable {
    /// The most connections open at once.
    public let limit: Int
    private let open = Atomic<Int>(0)
    private let refusals: LogThrottle

    public init(limit: Int, logger: Logger) {
        self.limit = limit
        self.refusals = LogThrottle(logger: logger)
    }

    /// The cap for a process that may open `descriptors` files: half of them, less 256 kept for the database,
    /// logs, builds' and computes' pipes and git (each connection may also hold a file it is being served or a
    /// connection to a compute), and at most 32,768 (an idle connection costs memory too); at least 16.
    public static func defaultLimit(descriptors: Int) -> Int {
        max(16, min((min(descriptors, 1 << 30) - 256) / 2, 32_768))
    }

    /// Connections open now.
    var openConnections: Int { self.open.load(ordering: .relaxed) }

    func handler() -> Handler {
        Handler(limiter: self)
    }

    /// Counts its connection while it is open, and refuses it when it is one too many; then leaves the pipeline.
    final class Handler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPRequestPart
        typealias InboundOut = HTTPRequestPart
        typealias OutboundOut = HTTPResponsePart

        private let limiter: ConnectionLimiter
        private var counted = false
        private var refused = false

        init(limiter: ConnectionLimiter) {
            self.limiter = limiter
        }

        func handlerAdded(context: ChannelHandlerContext) {
            guard !self.counted else { return }
            self.counted = true
            let limiter = self.limiter
            let open = limiter.open.wrappingAdd(1, ordering: .relaxed).newValue
            context.channel.closeFuture.whenComplete { _ in limiter.open.wrappingSubtract(1, ordering: .relaxed) }
            self.refused = open > limiter.limit
            if self.refused, context.channel.isActive { self.refuse(context) }
        }

        func channelActive(context: ChannelHandlerContext) {
            context.fireChannelActive()
            if self.refused {
                self.refuse(context)
            } else {
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            // A refused connection's requests go nowhere.
            if !self.refused { context.fireChannelRead(data) }
        }

        private func refuse(_ context: ChannelHandlerContext) {
            self.limiter.refusals.log(
                .warning, "A connection past --max-connections was refused",
                metadata: ["connections.limit": "\(self.limiter.limit)", "peer": "\(context.channel.remoteAddress.map { "\($0)" } ?? "-")"]
            )
            let message = "The server has \(self.limiter.limit) connections open, its most (--max-connections); try again shortly."
            AWSError(AmplifyError(.serviceUnavailable, message)).answer(closing: context, headers: [.retryAfter: "1"])
        }
    }
}
