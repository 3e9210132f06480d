import AmplifyCore
import Foundation
import Hummingbird

/// Lets through only requests whose URL carries a valid, unexpired signature of `URLSigner` (the URLs
/// the API hands out); others get 403, as an expired or altered presigned URL does on AWS.
struct SignedURLMiddleware: RouterMiddleware {
    typealias Context = AmplifyRequestContext

    let signer: URLSigner
    let clock: ServiceClock
    let metrics: ServerMetrics?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let pathAndQuery = request.uri.path + (request.uri.query.map { "?\($0)" } ?? "")
        do {
            try self.signer.verify(pathAndQuery, now: self.clock.now())
        } catch {
            self.metrics?.signedURLRefused()
            let message = switch error {
            case .missing: "This URL must be signed: use the URL the API returned."
            case .expired: "Request has expired: ask the API for a new URL."
            case .mismatch: "The request signature does not match: use the URL the API returned, unchanged."
            }
            return Response(
                status: .forbidden, headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "403 \(message)\n"))
            )
        }
        return try await next(request, context)
    }
}
