import AmplifyBuilds
import AmplifyCore
import Foundation
import Hummingbird

/// The server's own endpoints under `/_amplify-local/`: health, reset, and job step logs.
struct AdminRoutes {
    let store: any Store
    let runner: BuildRunner
    let configuration: ServerConfiguration

    func add(to router: Router<AmplifyRequestContext>) {
        let group = router.group("_amplify-local")
        group.get("health") { _, _ in
            try Self.json([
                "status": "ok",
                "version": AmplifyLocal.version,
                "buildMode": self.configuration.buildMode.rawValue,
                "storage": self.configuration.dataDirectory == nil ? "memory" : "sqlite",
            ] as [String: String])
        }
        group.post("reset") { _, _ in
            try await self.store.reset()
            return try Self.json(["status": "reset"])
        }
        group.get("logs/:account/:region/:appId/:branchName/:jobId/:step") { _, context in
            try await self.log(context)
        }
        group.put("uploads/:account/:region/:appId/:branchName/:jobId/zip") { request, context in
            try await self.upload(request, context, name: "artifacts.zip")
        }
        group.put("uploads/:account/:region/:appId/:branchName/:jobId/files/:name") { request, context in
            try await self.upload(request, context, name: "files/\(try Self.parameter(context, "name"))")
        }
        group.get("access-logs/:account/:region/:appId/:domainName") { _, context in
            let scope = Scope(account: try Self.parameter(context, "account"), region: try Self.parameter(context, "region"))
            do {
                _ = try await self.store.domainAssociation(
                    scope, appId: try Self.parameter(context, "appId"), domainName: try Self.parameter(context, "domainName")
                )
            } catch is AmplifyError {
                throw HTTPError(.notFound, message: "No such access log.")
            }
            // No site is served yet, so no request was: the log is its header.
            return Response(
                status: .ok, headers: [.contentType: "text/csv; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: AmplifyAPI.accessLogHeader))
            )
        }
    }

    /// A path parameter, percent-decoded (the router leaves them raw).
    private static func parameter(_ context: AmplifyRequestContext, _ name: String) throws -> String {
        guard let raw = context.parameters.get(name), let value = raw.removingPercentEncoding else {
            throw HTTPError(.badRequest, message: "Bad \(name) in the path.")
        }
        return value
    }

    private func log(_ context: AmplifyRequestContext) async throws -> Response {
        func parameter(_ name: String) throws -> String { try Self.parameter(context, name) }
        guard let jobId = Int(try parameter("jobId")) else { throw HTTPError(.notFound) }
        let key = JobKey(
            scope: Scope(account: try parameter("account"), region: try parameter("region")),
            appId: try parameter("appId"), branchName: try parameter("branchName"), jobId: jobId
        )
        guard let text = try await self.store.log(key, step: try parameter("step")) else {
            throw HTTPError(.notFound, message: "No such log.")
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    /// The largest file a deployment upload may be (held in the database for now).
    static let maximumUploadBytes = 100 * 1024 * 1024

    /// A PUT to an upload URL that CreateDeployment handed out: stores the file with the deployment's job.
    private func upload(_ request: Request, _ context: AmplifyRequestContext, name: String) async throws -> Response {
        guard let jobId = Int(try Self.parameter(context, "jobId")) else { throw HTTPError(.notFound) }
        let key = JobKey(
            scope: Scope(account: try Self.parameter(context, "account"), region: try Self.parameter(context, "region")),
            appId: try Self.parameter(context, "appId"), branchName: try Self.parameter(context, "branchName"), jobId: jobId
        )
        var request = request
        let body = try await request.collectBody(upTo: Self.maximumUploadBytes)
        do {
            try await self.store.putDeploymentFile(key, name: name, content: Data(body.readableBytesView), whileIn: [.created])
        } catch let error as AmplifyError {
            return AWSErrorResponse.response(for: error)
        }
        return Response(status: .ok)
    }

    private static func json(_ object: [String: String]) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
