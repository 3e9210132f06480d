import AmplifyCore
import Hummingbird

/// Refuses requests whose URL or headers are larger than any client of the API sends, before anything
/// reads them: 414 for a URL over `maxURLBytes`, 431 for headers over `maxHeaderBytes`, as AWS errors.
/// (Bodies are limited where they are read: 6 MiB for API calls, `--max-upload-bytes` for uploads.)
struct RequestLimitsMiddleware: RouterMiddleware {
    typealias Context = AmplifyRequestContext

    static let maxURLBytes = 8 * 1024
    static let maxHeaderBytes = 32 * 1024

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if (request.head.path?.utf8.count ?? 0) > Self.maxURLBytes {
            throw AWSError(
                .badRequest("The request URL is longer than \(Self.maxURLBytes) bytes."), status: .init(code: 414, reasonPhrase: "URI Too Long")
            )
        }
        let headerBytes = request.headers.reduce(0) { $0 + $1.name.rawName.utf8.count + $1.value.utf8.count + 4 }
        if headerBytes > Self.maxHeaderBytes {
            throw AWSError(
                .badRequest("The request headers are larger than \(Self.maxHeaderBytes) bytes."),
                status: .init(code: 431, reasonPhrase: "Request Header Fields Too Large")
            )
        }
        return try await next(request, context)
    }
}
