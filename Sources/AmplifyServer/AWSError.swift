import AmplifyCore
import AmplifyWire
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// An error as AWS answers it: the model's status for its code (or a limit's own status), the header
/// `x-amzn-ErrorType`, and the body `{"message", "__type"}` (plus `code` for ResourceNotFoundException, whose
/// shape has it). The one way an error becomes a response: thrown anywhere, rendered by `RequestIDMiddleware`
/// (through Hummingbird's `HTTPResponseError`), so every error carries the request id.
struct AWSError: HTTPResponseError {
    static let errorTypeHeader = HTTPField.Name("x-amzn-ErrorType")!

    var error: AmplifyError
    var status: HTTPResponse.Status

    init(_ error: AmplifyError, status: HTTPResponse.Status? = nil) {
        self.error = error
        self.status = status ?? .init(code: Self.status(of: error.code))
    }

    /// What the client is told of any error: AmplifyError as it is, an unreadable input as BadRequestException, and
    /// anything else as InternalFailureException, its detail in the log only.
    init(_ error: any Error, logger: Logger, requestId: String) {
        switch error {
        case let error as AWSError:
            self = error
        case let error as AmplifyError:
            logger.debug("Request refused", metadata: ["error": "\(error)", "aws.request_id": "\(requestId)"])
            self.init(error)
        case let error as WireInputError:
            self.init(.badRequest(error.message))
        case is NIOTooManyBytesError:
            // A body read with `collectBody(upTo:)` that goes past its limit: the client's doing, never a 500. (The
            // error's `maxBytes` is what was left after the first part, not the limit: callers that know it say it.)
            self = .bodyTooLarge(limit: nil)
        case let error as HTTPError where error.status == .contentTooLarge:
            self.init(AmplifyError(.requestTooLarge, error.body ?? "The request body is too large."), status: .contentTooLarge)
        default:
            logger.error("Operation failed", metadata: ["error": "\(error)", "aws.request_id": "\(requestId)"])
            self.init(AmplifyError(.internalFailure, "An internal error occurred."))
        }
    }

    /// 413 for a body over `limit` bytes.
    static func bodyTooLarge(limit: Int?) -> AWSError {
        let most = limit.map { "\($0) bytes" + ($0 % (1 << 20) == 0 ? " (\($0 >> 20) MiB)" : "") } ?? "what this endpoint reads"
        return AWSError(AmplifyError(.requestTooLarge, "The request body is larger than \(most), the most this endpoint takes."), status: .contentTooLarge)
    }

    static func status(of code: AmplifyError.Code) -> Int {
        if let modeled = WireErrorCode(rawValue: code.rawValue) { return modeled.httpStatus }
        switch code {
        case .unknownOperation: return 404
        case .invalidSignature, .unrecognizedClient, .missingAuthenticationToken, .accessDenied: return 403
        case .requestTooLarge: return 413
        case .requestTimeout: return 408
        case .serviceUnavailable: return 503
        default: return 400
        }
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        self.response
    }

    var response: Response {
        Response(status: self.status, headers: self.headers, body: .init(byteBuffer: self.body))
    }

    /// `Content-Type` and `x-amzn-ErrorType` (the request id is added by whoever answers).
    var headers: HTTPFields {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[Self.errorTypeHeader] = self.error.code.rawValue
        return headers
    }

    /// `{"message", "__type"}`, and `code` for ResourceNotFoundException.
    var body: ByteBuffer {
        var body: [String: String] = ["message": self.error.message, "__type": self.error.code.rawValue]
        if self.error.code == .resourceNotFound { body["code"] = self.error.code.rawValue }
        return ByteBuffer(bytes: (try? JSONEncoder().encode(body)) ?? Data())
    }
}
