import AmplifyCore
import AsyncHTTPClient
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// Passes a site's requests on to the compute of its deployment (which the supervisor starts first if it is not
/// running), streaming both ways, with `X-Forwarded-For`, `-Proto` and `-Host`. A `Service` for its HTTP client's sake,
/// shut down with the server.
public final class ComputeProxy: Service {
    /// Why a request got no answer from a compute: the status the site answers with, and why.
    public struct Failure: Error, CustomStringConvertible {
        public var status: HTTPResponse.Status
        public var description: String
    }

    private let supervisor: ComputeSupervisor
    private let client: HTTPClient = {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, decompression: .disabled)
        // As many connections to a compute as clients send at once (the default keeps 8).
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
        // No spans: nothing here collects them, and making one per request cost ~6% of a proxied request (perf).
        configuration.tracing.tracer = nil
        // A compute is on this machine: a connection not made within a second will not be.
        configuration.timeout = .init(connect: .seconds(1))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public init(supervisor: ComputeSupervisor) {
        self.supervisor = supervisor
    }

    /// The compute's answer to `request`; `host` and `clientAddress` are passed on as forwarded headers.
    public func forward(_ request: Request, host: String, clientAddress: String?, deployment: ComputeDeployment) async throws(Failure) -> Response {
        let instance: ComputeInstance
        do {
            instance = try await self.supervisor.instance(deployment)
        } catch {
            throw Failure(status: .serviceUnavailable, description: "The compute is not running: \(error)")
        }
        instance.used()
        // HEAD's response has no body to wait for.
        if request.method != .head { instance.inFlight.add(1, ordering: .relaxed) }
        let response: HTTPClientResponse
        do {
            response = try await self.client.execute(Self.outgoing(request, to: instance, host: host, clientAddress: clientAddress), timeout: .seconds(300))
        } catch {
            if request.method != .head { instance.inFlight.subtract(1, ordering: .relaxed) }
            throw Failure(status: .badGateway, description: "The compute did not answer: \(error)")
        }
        var headers = HTTPFields()
        for (name, value) in response.headers where !Self.hopByHop.contains(name.lowercased()) {
            if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
        }
        // In flight until its body has gone to the client (a compute being retired waits for it).
        let body = request.method == .head ? ResponseBody(asyncSequence: response.body) : ResponseBody { writer in
            defer { instance.inFlight.subtract(1, ordering: .relaxed) }
            for try await chunk in response.body { try await writer.write(chunk) }
            try await writer.finish(nil)
        }
        return Response(
            status: HTTPResponse.Status(code: Int(response.status.code), reasonPhrase: response.status.reasonPhrase), headers: headers, body: body
        )
    }

    /// The request as it goes to the compute: its headers but those of one connection, and the forwarded ones.
    private static func outgoing(_ request: Request, to instance: ComputeInstance, host: String, clientAddress: String?) -> HTTPClientRequest {
        var outgoing = HTTPClientRequest(url: "http://\(instance.host):\(instance.port)\(request.uri.string)")
        outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
        for field in request.headers where !Self.hopByHop.contains(field.name.canonicalName) {
            outgoing.headers.add(name: field.name.rawName, value: field.value)
        }
        outgoing.headers.replaceOrAdd(name: "Host", value: host)
        outgoing.headers.replaceOrAdd(name: "X-Forwarded-Host", value: host)
        outgoing.headers.replaceOrAdd(name: "X-Forwarded-Proto", value: "http")
        if let clientAddress {
            let forwarded = request.headers[HTTPField.Name("X-Forwarded-For")!].map { "\($0), \(clientAddress)" } ?? clientAddress
            outgoing.headers.replaceOrAdd(name: "X-Forwarded-For", value: forwarded)
        }
        if request.method != .get && request.method != .head {
            let length = request.headers[.contentLength].flatMap(Int.init)
            outgoing.body = .stream(request.body, length: length.map { .known(Int64($0)) } ?? .unknown)
        }
        return outgoing
    }

    /// Headers that belong to one connection, not passed on.
    static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"]

    /// Waits for the server's shutdown, then closes the client's connections.
    public func run() async throws {
        try? await gracefulShutdown()
        try? await self.client.shutdown()
    }
}
