import Hummingbird
import Logging
import NIOCore

/// Placed after the sites: a request that reaches it from a connection `BuildPeerFilter` holds (a build's, a
/// compute's) asks for the API, an admin endpoint or the console, and gets no answer — its connection is closed, as
/// if the server had no route to it; the server's log says why.
struct BuildPeerMiddleware<Context: RemoteAddressRequestContext>: RouterMiddleware {
    let filter: BuildPeerFilter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let (channel, reason) = self.filter.heldConnection(context.remoteAddress) else { return try await next(request, context) }
        self.filter.refusals.log(
            .notice, "A request from a build or compute to the server's API, admin or console got no answer (sites only)",
            metadata: ["peer": "\(context.remoteAddress.map { "\($0)" } ?? "-")", "reason": "\(reason)", "path": "\(request.uri.path)"]
        )
        // Closed before the response below is written: that write fails, and nothing reaches the peer.
        channel.close(mode: .all, promise: nil)
        return Response(status: .forbidden)
    }
}
