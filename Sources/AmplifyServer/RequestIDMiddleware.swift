import Foundation
import HTTPTypes
import Hummingbird

/// Gives every request an id and puts it on every response as `x-amzn-RequestId`, errors included.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = AmplifyRequestContext

    static let header = HTTPField.Name("x-amzn-RequestId")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.requestId = UUID().uuidString.lowercased()
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            context.logger.error("Unhandled error", metadata: ["error": "\(error)", "aws.request_id": "\(context.requestId)"])
            response = AWSErrorResponse.response(for: .init(.internalFailure, "An internal error occurred."))
        }
        response.headers[Self.header] = context.requestId
        return response
    }
}
