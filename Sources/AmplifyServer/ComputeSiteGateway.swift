import AmplifyCompute
import AmplifyCore
import AmplifyHosting
import Hummingbird

/// Where sites' `Compute` routes go (Hosting's seam): the compute proxy, whose failures become the site's short
/// plain-text pages (503 while a compute cannot start, 502 when it did not answer), to be retried.
struct ComputeSiteGateway: ComputeGateway {
    let proxy: ComputeProxy

    func respond(to request: Request, host: String, clientAddress: String?, deployment: ComputeDeployment) async -> Response {
        do {
            return try await self.proxy.forward(request, host: host, clientAddress: clientAddress, deployment: deployment)
        } catch {
            return SitePage.response(error.status, error.description, headers: [.retryAfter: "5"])
        }
    }
}
