import AmplifyCore
import AmplifyWire
import Foundation
import HTTPTypes
import Hummingbird

/// The wire form of an error: the model's status, `x-amzn-ErrorType`, and `{"message", "__type"}`
/// (plus `code` for ResourceNotFoundException, whose shape has it).
enum AWSErrorResponse {
    static let errorTypeHeader = HTTPField.Name("x-amzn-ErrorType")!

    static func status(of code: AmplifyError.Code) -> Int {
        if let modeled = WireErrorCode(rawValue: code.rawValue) { return modeled.httpStatus }
        switch code {
        case .unknownOperation: return 404
        case .invalidSignature, .unrecognizedClient, .missingAuthenticationToken: return 403
        default: return 400
        }
    }

    /// The error with an HTTP status of its own (414, 431: limits that are not the model's).
    static func response(for error: AmplifyError, status: HTTPResponse.Status) -> Response {
        var response = Self.response(for: error)
        response.status = status
        return response
    }

    static func response(for error: AmplifyError) -> Response {
        var body: [String: String] = ["message": error.message, "__type": error.code.rawValue]
        if error.code == .resourceNotFound { body["code"] = error.code.rawValue }
        let data = (try? JSONEncoder().encode(body)) ?? Data()
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[Self.errorTypeHeader] = error.code.rawValue
        return Response(
            status: .init(code: Self.status(of: error.code)),
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}
