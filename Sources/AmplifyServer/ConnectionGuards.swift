import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// What every connection goes through before its requests reach the router: the cap on open connections
/// (`ConnectionLimiter`), the peer check that keeps builds and computes to sites (`BuildPeerFilter`), the time a
/// request's head may take (`HeaderTimeoutHandler`), and Hummingbird's idle timeout. Made once at start, where the
/// file-descriptor limit is also raised to its hard limit (and said in the log).
struct ConnectionGuards {
    let limiter: ConnectionLimiter
    let peers: BuildPeerFilter
    let headerTimeout: TimeAmount
    let idleTimeout: TimeAmount

    init(configuration: ServerConfiguration, logger: Logger) {
        let descriptors = FileDescriptorLimit.raiseToHard()
        let limit = configuration.maxConnections ?? ConnectionLimiter.defaultLimit(descriptors: descriptors.after)
        let peers = BuildPeerFilter(logger: logger)
        logger.debug(
            "Connections: at most \(limit) open at once, heads within \(configuration.headerTimeoutSeconds) s, idle ones closed after \(configuration.idleTimeoutSeconds) s",
            metadata: [
                "files.limit": "\(descriptors.after)",
                "files.limit.before": "\(descriptors.before)",
                "builds.kept.to.sites": "\(peers.enabled ? "yes" : "no: builds run as the server's own user")",
            ]
        )
        self.limiter = ConnectionLimiter(limit: limit, logger: logger)
        self.peers = peers
        self.headerTimeout = .nanoseconds(Int64(configuration.headerTimeoutSeconds * 1e9))
        self.idleTimeout = .nanoseconds(Int64(configuration.idleTimeoutSeconds * 1e9))
    }

    /// Hummingbird's HTTP/1 server with these handlers on each connection, in this order: the cap first (a refused
    /// connection costs nothing more), then the peer check (before any request is read), then the head's timer.
    var server: HTTPServerBuilder {
        let limiter = self.limiter
        let peers = self.peers
        let headerTimeout = self.headerTimeout
        return .http1(
            configuration: .init(
                additionalChannelHandlers: [limiter.handler()] + (peers.handler().map { [$0] } ?? []) + [HeaderTimeoutHandler(timeout: headerTimeout)],
                idleTimeout: self.idleTimeout
            )
        )
    }
}
