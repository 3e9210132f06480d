import AmplifyCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

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
        } catch {
            response = try Self.response(for: error, request, context)
        }
        response.headers[Self.header] = context.requestId
        return response
    }

    /// The answer to an error thrown while a request was handled.
    static func response(for error: any Error, _ request: Request, _ context: Context) throws -> Response {
        switch error {
        case let error as AWSError:
            return error.response
        case is NIOTooManyBytesError:
            // A body past the limit it was read with (Hummingbird would answer a bare 413).
            return AWSError(error, logger: context.logger, requestId: context.requestId).response
        case let error as HTTPResponseError:
            // Hummingbird's own (sites, signed URLs, uploads): plain HTTP errors, not AWS ones.
            return try error.response(from: request, context: context)
        default:
            return AWSError(error, logger: context.logger, requestId: context.requestId).response
        }
    }
}
