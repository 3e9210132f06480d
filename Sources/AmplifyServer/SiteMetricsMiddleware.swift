import AmplifyHosting
import Hummingbird

/// Counts the requests to sites (a `Host` that names one) by status, around `SiteMiddleware`.
struct SiteMetricsMiddleware: RouterMiddleware {
    typealias Context = AmplifyRequestContext

    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let host = request.head.authority, SiteHost(host) != nil else {
            return try await next(request, context)
        }
        do {
            let response = try await next(request, context)
            self.metrics.siteRequest(status: response.status.code)
            return response
        } catch let error as HTTPResponseError {
            self.metrics.siteRequest(status: error.status.code)
            throw error
        }
    }
}
