import AmplifyProcess
import Logging
import NIOCore
import NIOHTTPTypes
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps builds and computes off the server's own API, admin endpoints and console: they may fetch sites (a branch's
/// host, as any visitor does) and get no answer from anything else. Each connection is looked at once, when it opens
/// (`Handler`): its peer is a compute when its address is a compute namespace's side of a veth pair, and a build (or
/// a compute on the machine's loopback) when the kernel says the peer's socket was made by one of builds' own users.
/// `BuildPeerMiddleware`, after the sites, closes such connections when they ask for anything else.
///
/// Only a root server tells them apart: builds and computes run as users of their own (`ProcessUser`) and computes in
/// namespaces only then. A server that is not root runs them as itself, and the filter is off.
public final class BuildPeerFilter: Sendable {
    /// Why a connection may reach sites only.
    enum Reason: Sendable, Equatable, CustomStringConvertible {
        /// Its peer's socket belongs to a build's user (a build, or a compute on the loopback).
        case build(uid: UInt32)
        /// Its peer is a compute's network namespace.
        case compute
        /// Its peer's socket is on this machine and already closed by its program: its owner is no longer told, and
        /// nobody is left to read an answer (a request sent blind, for its side effects).
        case released

        var description: String {
            switch self {
            case .build(let uid): "a build's user (uid \(uid))"
            case .compute: "a compute's network namespace"
            case .released: "a socket of this machine its program already closed"
            }
        }
    }

    /// Whether connections are looked at (the server runs as root).
    let enabled: Bool
    private let logger: Logger
    /// The connections kept to sites, by their peer's address (what a request's context knows of its connection).
    private let held = Mutex<[SocketAddress: [(channel: any Channel, reason: Reason)]]>([:])
    /// How many are held: a request looks no further when none is (the usual case), without taking the lock.
    private let heldCount = Atomic<Int>(0)
    private let lookupFailed = Atomic<Bool>(false)
    let refusals: LogThrottle

    public init(enabled: Bool = geteuid() == 0, logger: Logger) {
        self.enabled = enabled
        self.logger = logger
        self.refusals = LogThrottle(logger: logger)
    }

    /// A new connection's handler; nil when the filter is off.
    func handler() -> Handler? {
        self.enabled ? Handler(filter: self) : nil
    }

    /// Why the connection from `peer` to `local` may reach sites only; nil when it may reach everything.
    func verdict(peer: SocketAddress?, local: SocketAddress?) -> Reason? {
        guard self.enabled, let peer, let local, let from = PeerSocketOwner.Endpoint(peer), let to = PeerSocketOwner.Endpoint(local) else {
            return nil
        }
        if Self.isComputeAddress(from) { return .compute }
        switch PeerSocketOwner.lookup(peer: from, local: to) {
        case .held(let uid):
            return ProcessUser.isBuildUser(uid) ? .build(uid: uid) : nil
        case .released:
            return .released
        case .notFound:
            // A socket of this machine is found while it exists (a closed one stays as TIME-WAIT a while): one
            // not found is another machine's.
            let local = from.isLoopback || from.address == to.address || PeerSocketOwner.isOwnAddress(from.address)
            return local ? .released : nil
        case .failed:
            if !self.lookupFailed.exchange(true, ordering: .relaxed) {
                self.logger.warning("The kernel cannot be asked who holds a connection's other end: builds are not kept off the API")
            }
            return nil
        }
    }

    /// A compute's side of its veth pair: 169.254.x.(4n+2), x neither 0, 169 nor 255 (`ComputeNamespaces`).
    static func isComputeAddress(_ endpoint: PeerSocketOwner.Endpoint) -> Bool {
        let bytes = endpoint.address
        return endpoint.isIPv4 && bytes[0] == 169 && bytes[1] == 254 && ![0, 169, 255].contains(bytes[2]) && bytes[3] % 4 == 2
    }

    /// Why the connection of a request from `peer` may reach sites only, and the connection; nil when it may reach
    /// everything.
    func heldConnection(_ peer: SocketAddress?) -> (channel: any Channel, reason: Reason)? {
        guard self.heldCount.load(ordering: .relaxed) > 0, let peer else { return nil }
        return self.held.withLock { $0[peer]?.last }
    }

    private func hold(_ channel: any Channel, reason: Reason) {
        guard let peer = channel.remoteAddress else { return }
        self.held.withLock { $0[peer, default: []].append((channel, reason)) }
        self.heldCount.add(1, ordering: .relaxed)
        channel.closeFuture.whenComplete { _ in
            self.held.withLock { held in
                held[peer]?.removeAll { $0.channel === channel }
                if held[peer]?.isEmpty == true { held[peer] = nil }
            }
            self.heldCount.subtract(1, ordering: .relaxed)
        }
    }

    /// Looks at its connection once, when it opens, and then leaves the pipeline.
    final class Handler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPRequestPart
        typealias InboundOut = HTTPRequestPart

        private let filter: BuildPeerFilter
        private var decided = false

        init(filter: BuildPeerFilter) {
            self.filter = filter
        }

        func handlerAdded(context: ChannelHandlerContext) {
            if context.channel.isActive {
                self.decide(context)
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            }
        }

        func channelActive(context: ChannelHandlerContext) {
            self.decide(context)
            // Removed only once the event has gone on: the handlers after it (Hummingbird's idle timer) need it.
            context.fireChannelActive()
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }

        /// Before the connection's first read: no request is answered before its peer is known.
        private func decide(_ context: ChannelHandlerContext) {
            guard !self.decided else { return }
            self.decided = true
            let channel = context.channel
            if let reason = self.filter.verdict(peer: channel.remoteAddress, local: channel.localAddress) {
                self.filter.hold(channel, reason: reason)
            }
        }
    }
}
