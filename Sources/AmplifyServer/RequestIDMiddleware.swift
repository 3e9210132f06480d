import AmplifyCore
import Foundation
import HTTPTypes
import Hummingbird

/// Gives every request an id and puts it on every response as `x-amzn-RequestId`, errors included; every error
/// thrown below it is answered here (`AWSError`).
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = AmplifyRequestContext

    static let header = HTTPField.Name("x-amzn-RequestId")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.requestId = RequestIds.uuid()
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as AWSError {
            response = error.response
        } catch let error as HTTPResponseError {
            // Hummingbird's own (sites, signed URLs, uploads): plain HTTP errors, not AWS ones.
            response = try error.response(from: request, context: context)
        } catch {
            response = AWSError(error, logger: context.logger, requestId: context.requestId).response
        }
        response.headers[Self.header] = context.requestId
        return response
    }
}
