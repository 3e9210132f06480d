import AmplifyBuilds
import AmplifyCore
import AmplifyWire
import Foundation
import Hummingbird
import Logging
import NIOCore

/// Serves the Amplify API: every request outside `/_amplify-local/` is routed by the model's URI
/// templates to an operation of `AmplifyAPI`, and answered with JSON or an AWS error.
struct AmplifyAPIMiddleware: RouterMiddleware {
    typealias Context = AmplifyRequestContext

    /// Where webhook URLs point, as on AWS (`/prod/webhooks?id=…&token=…`).
    static let incomingWebhookPath = "/prod/webhooks"

    let api: AmplifyAPI
    let router = OperationRouter()
    let fallbackBaseURL: String
    let auth: AuthMode
    let verifier: SigV4Verifier
    let signer: URLSigner
    let clock: ServiceClock
    let faults: FaultInjector
    /// Requests by operation and status, their time, errors by code, refused signatures (nil: `--no-metrics`).
    let metrics: ServerMetrics?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let rawPath = request.uri.path
        if rawPath.hasPrefix(AdminPath.prefix) {
            return try await next(request, context)
        }
        let started = ContinuousClock.now
        var operation = "Unknown"
        do {
            let response = try await self.answer(request, context: context, operation: &operation)
            self.metrics?.request(operation: operation, status: 200, errorCode: nil, duration: ContinuousClock.now - started)
            return response
        } catch let error as AWSError {
            self.metrics?.request(
                operation: operation, status: Int(error.status.code), errorCode: error.error.code.rawValue, duration: ContinuousClock.now - started
            )
            throw error
        }
    }

    /// The operation's answer, or an `AWSError`; names the operation once it is known.
    private func answer(_ request: Request, context: Context, operation: inout String) async throws -> Response {
        let rawPath = request.uri.path
        let logger = context.logger
        await self.api.runner.waitUntilRecovered()
        do {
            if rawPath == Self.incomingWebhookPath && request.method == .post {
                operation = "IncomingWebhook"
                let query = request.uri.queryParameters
                let output = try await self.api.triggerWebhook(id: query["id"].map(String.init), token: query["token"].map(String.init))
                return Self.json(output.jsonBytes())
            }
            let match = try self.match(request.method.rawValue, rawPath)
            operation = match.operation.rawValue
            guard let query = WireRequest.parseQuery(request.uri.query.map { $0[...] }) else {
                throw AmplifyError.badRequest("The query string is not valid percent-encoded text.")
            }
            var request = request
            let body = Array(try await request.collectBody(upTo: context.maxUploadSize).readableBytesView)
            let scope = try self.authorize(request, body: body, context: context)
            let wireRequest = WireRequest(labels: match.labels, query: query, body: Data(body))
            try wireRequest.requireNoNUL()
            if let fault = self.faults.decide(match.operation, labels: match.labels, scope: scope, now: self.clock.now()) {
                if fault.latencyMilliseconds > 0 { try await Task.sleep(for: .milliseconds(Int(fault.latencyMilliseconds.rounded()))) }
                if let error = fault.error {
                    logger.debug("Fault injected", metadata: ["error": "\(error)", "aws.request_id": "\(context.requestId)"])
                    throw error
                }
            }
            let call = APICall(
                scope: scope, baseURL: self.baseURL(of: request), signer: self.signer, now: self.clock.now(), operation: match.operation,
                requestId: context.requestId, requestLogger: logger
            )
            return Self.json(try await self.api.respond(to: match.operation, wireRequest, call))
        } catch is NIOTooManyBytesError {
            throw AWSError.bodyTooLarge(limit: context.maxUploadSize)
        } catch {
            // Everything the API answers is an AWS error, whatever threw it.
            throw AWSError(error, logger: logger, requestId: context.requestId)
        }
    }

    /// The request's scope; with `--auth soft|strict`, only after its signature checks out (soft lets a
    /// bad one through, logged).
    private func authorize(_ request: Request, body: [UInt8], context: Context) throws -> Scope {
        guard self.auth != .off else { return Self.scope(of: request) }
        do {
            return try self.verifier.verify(request, body: body, now: self.clock.now())
        } catch {
            self.metrics?.signatureRefused()
            guard self.auth == .soft else { throw error }
            context.logger.warning(
                "Request signature refused (auth soft: let through)",
                metadata: ["error": "\(error)", "aws.request_id": "\(context.requestId)"]
            )
            return Self.scope(of: request)
        }
    }

    private static func json(_ body: [UInt8]) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    private func match(_ method: String, _ rawPath: String) throws -> OperationRouter.Match {
        do {
            return try self.router.match(method: method, rawPath: rawPath[...])
        } catch .badEncoding {
            throw AmplifyError.badRequest("The request path is not valid percent-encoded text.")
        } catch .methodNotAllowed {
            throw AmplifyError(.unknownOperation, "No operation has method \(method) on this path.")
        } catch .unknownPath {
            throw AmplifyError(.unknownOperation, "No operation has this path.")
        }
    }

    /// The account and region from the SigV4 credential (header, or query for presigned requests):
    /// `Credential=<access key id>/<date>/<region>/amplify/aws4_request`.
    static func scope(of request: Request) -> Scope {
        let credential: Substring?
        if let authorization = request.headers[.authorization] {
            credential = Self.credential(in: authorization)
        } else {
            credential = request.uri.queryParameters["X-Amz-Credential"]
        }
        // `<access key id>/<date>/<region>/…`, split byte by byte.
        let parts = credential?.utf8.split(separator: UInt8(ascii: "/"), maxSplits: 3, omittingEmptySubsequences: false) ?? []
        return Scope(accessKeyId: parts.first.map { String(Substring($0)) }, region: parts.count > 2 ? String(Substring(parts[2])) : nil)
    }

    private static func credential(in authorization: String) -> Substring? {
        let marker = "Credential=".utf8
        let utf8 = authorization.utf8
        var index = utf8.startIndex
        while index != utf8.endIndex {
            if utf8[index...].starts(with: marker) {
                let start = utf8.index(index, offsetBy: marker.count)
                let end = utf8[start...].firstIndex { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: " ") } ?? utf8.endIndex
                return authorization[start..<end]
            }
            index = utf8.index(after: index)
        }
        return nil
    }

    private func baseURL(of request: Request) -> String {
        Self.baseURL(of: request) ?? self.fallbackBaseURL
    }

    /// `http://` and the request's `Host`, when it is a plain host name (the base of URLs handed to the caller).
    static func baseURL(of request: Request) -> String? {
        guard let host = request.head.authority, !host.isEmpty,
            host.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "/" && $0 != "@" })
        else { return nil }
        return "http://\(host)"
    }
}
