import Hummingbird

/// A browser opening the server's root (`GET /` that accepts `text/html`, with no AWS signature) goes to the console;
/// every other request, SDKs' among them, goes on untouched.
struct ConsoleRedirectMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .get, request.uri.path == "/", request.headers[.authorization] == nil,
            request.headers[.accept]?.contains("text/html") ?? false
        else { return try await next(request, context) }
        return Response(status: .found, headers: [.location: ConsoleRoutes.root + "/", .contentLength: "0"])
    }
}
