import AmplifyCore
import Hummingbird

/// Where a site's `Compute` routes go: the compute of a deployment, which answers the request (started first if it
/// is not running). Implemented by the compute supervisor; sites without one answer 503.
public protocol ComputeGateway: Sendable {
    /// Answers `request` from the deployment's compute; `host` and `clientAddress` are passed on as forwarded headers.
    func respond(to request: Request, host: String, clientAddress: String?, deployment: ComputeDeployment) async -> Response
}
