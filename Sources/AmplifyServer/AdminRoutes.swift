import AmplifyBuilds
import AmplifyCompute
import AmplifyCore
import AmplifyGit
import AmplifyHosting
import AmplifyWire
import Foundation
import Hummingbird
import NIOPosix

/// The server's own endpoints under `/_amplify-local/`: health, reset, job step logs, deployment
/// uploads, access logs and site thumbnails, and those for test suites (`AdminRoutes+Testing`).
struct AdminRoutes {
    let store: any Store
    let runner: BuildRunner
    let follower: RepositoryFollower
    let accessLog: AccessLog
    let signer: URLSigner
    let clock: ServiceClock
    let configuration: ServerConfiguration
    let faults: FaultInjector
    let domainControls: DomainControls
    let verifier: SigV4Verifier
    let metrics: ServerMetrics?
    let secrets: SecretBox
    let computes: ComputeSupervisor

    func add(to router: Router<AmplifyRequestContext>) {
        let group = router.group(AdminPath.groupRoute)
        self.addServerRoutes(to: group)
        self.addTestingRoutes(to: group)
        self.addGitRoutes(to: group)
        self.addSecretRoutes(to: group)
        self.addSiteRoutes(to: group)
        self.addSignedRoutes(to: router)
    }

    /// The server's own state: health, reset, metrics.
    private func addServerRoutes(to group: RouterGroup<AmplifyRequestContext>) {
        group.get(AdminPath.healthRoute) { _, _ in
            // Healthy once the jobs a previous run left in progress are finished: answers show no stale RUNNING job.
            await self.runner.waitUntilRecovered()
            return try Self.json([
                "status": "ok",
                "version": AmplifyLocal.version,
                "buildMode": self.configuration.builds.mode.rawValue,
                "storage": self.configuration.database != nil ? "postgresql" : self.configuration.dataDirectory == nil ? "memory" : "sqlite",
                "node": self.configuration.node,
            ] as [String: String])
        }
        group.post(AdminPath.resetRoute) { request, context in
            // Under --auth strict a reset is a tenant's: signed, and it drops only the signer's account and region.
            // Otherwise anyone who reaches the port may call any operation with any credential, so it drops everything.
            let (scope, _) = try await self.authorize(request, context)
            guard self.configuration.auth == .strict else {
                try await self.resetAll()
                return try Self.json(["status": "reset"])
            }
            let apps = try await self.reset(scope)
            return try Self.json(["status": "reset", "account": scope.account, "region": scope.region, "apps": apps])
        }
        group.get(AdminPath.metricsRoute) { request, context in
            guard let metrics = self.metrics else { throw HTTPError(.notFound, message: "Metrics are off (--no-metrics).") }
            _ = try await self.authorize(request, context)
            let text = metrics.exposition(runningBuilds: self.runner.runningCount, queuedBuilds: try await self.store.pendingJobCount())
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: text))
            )
        }
    }

    /// What a branch's site did and does: its computes' output, and what it does with a path.
    private func addSiteRoutes(to group: RouterGroup<AmplifyRequestContext>) {
        group.get(AdminPath.computeOutputRoute) { request, context in
            // What an SSR branch's computes wrote (signed under --auth, like the other admin endpoints).
            let (scope, _) = try await self.authorize(request, context)
            let appId = try Self.parameter(context, "appId")
            let branchName = try Self.parameter(context, "branchName")
            _ = try await self.store.branch(scope, appId: appId, branchName: branchName)
            guard let output = self.computes.output(scope, appId: appId, branchName: branchName) else {
                throw HTTPError(.notFound, message: "No compute of branch \(branchName) has run.")
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: output)))
        }
        group.post(AdminPath.explainRoute) { request, context in
            // What a branch's site does with a path: the console's rule tester, for scripts and CI.
            let (scope, bytes) = try await self.authorize(request, context)
            let body = try AdminBody(bytes)
            try body.requireOnly(["appId", "branchName", "path", "headers"])
            var headers: [String: String] = [:]
            if let given = body.object("headers") {
                for name in given.keys { headers[name] = try given.string(name) }
            }
            let explanation = try await SiteExplanation.explain(
                self.store, scope, appId: try body.requiredString("appId"), branchName: try body.requiredString("branchName"),
                path: try body.requiredString("path"), headers: headers, files: self.runner.files.sites
            )
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(explanation))))
        }
    }

    /// What the API hands out as URLs (logs, uploads, access logs, thumbnails, test artifacts): each answers only to a
    /// valid, unexpired signature.
    private func addSignedRoutes(to router: Router<AmplifyRequestContext>) {
        let signed = router.group(AdminPath.groupRoute).add(middleware: SignedURLMiddleware(signer: self.signer, clock: self.clock, metrics: self.metrics))
        signed.get(AdminPath.logRoute) { request, context in
            try await self.log(request, context)
        }
        signed.put(AdminPath.zipUploadRoute) { request, context in
            try await self.upload(request, context) { self.runner.files.sites.zipUpload($0) }
        }
        signed.put(AdminPath.fileUploadRoute) { request, context in
            let name = try Self.parameter(context, "name")
            guard SiteFiles.safeRelativePath(name) != nil else {
                throw HTTPError(.badRequest, message: "The file name \(name) is not a path inside the site.")
            }
            return try await self.upload(request, context) { self.runner.files.sites.fileUpload($0, name: name) }
        }
        signed.get(AdminPath.accessLogRoute) { request, context in
            let scope = Scope(account: try Self.parameter(context, "account"), region: try Self.parameter(context, "region"))
            let appId = try Self.parameter(context, "appId")
            guard (try? await self.store.app(scope, appId: appId)) != nil else { throw HTTPError(.notFound, message: "No such access log.") }
            let query = request.uri.queryParameters
            guard let start = query["start"].flatMap({ Double(String($0)) }), let end = query["end"].flatMap({ Double(String($0)) }) else {
                throw HTTPError(.badRequest, message: "start and end are needed.")
            }
            let csv: String
            do {
                csv = try await self.accessLog.read(
                    scope: scope, appId: appId, from: Date(timeIntervalSince1970: start), to: Date(timeIntervalSince1970: end)
                )
            } catch {
                throw HTTPError(.serviceUnavailable, message: "The access logs could not be read from the object store: \(error)")
            }
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: csv)))
        }
        signed.get(AdminPath.thumbnailRoute) { _, context in
            try await self.thumbnail(context)
        }
        signed.get(AdminPath.testArtifactRoute) { request, context in
            try await self.testArtifact(request, context)
        }
    }

    /// Drops everything of every account and region: the store, the files of sites, uploads, access logs and caches,
    /// and every fault rule, build control and pending domain control.
    private func resetAll() async throws {
        try await self.store.reset()
        self.faults.removeAll()
        self.domainControls.removeAll()
        self.runner.controls.removeAll()
        self.accessLog.flush()
        await self.runner.files.removeAll()
    }

    /// Drops one account and region's apps as DeleteApp drops each (their builds stopped, their files removed, their
    /// access logs too), and the fault rules, build controls and pending domain controls of that account and region;
    /// other tenants keep all of theirs. Returns how many apps went.
    private func reset(_ scope: Scope) async throws -> Int {
        let appIds = try await self.store.reset(scope)
        _ = self.removeFaultRules(of: scope)
        self.domainControls.removeAll(in: scope)
        self.runner.controls.removeAll(in: scope)
        self.accessLog.flush()
        let logs = SiteFiles(root: self.runner.files.root)
        for appId in appIds {
            self.runner.stopBuilds(of: scope, appId: appId)
            await self.runner.files.removeApp(scope, appId: appId)
            SiteFiles.remove(logs.appFolder("access-logs", scope, appId: appId))
        }
        return appIds.count
    }

    /// A test artifact (GetArtifactUrl, the TEST step's screenshots and report) or the zip of them all, as a download.
    private func testArtifact(_ request: Request, _ context: AmplifyRequestContext) async throws -> Response {
        let key = try Self.jobKey(context)
        let file = try Self.parameter(context, "file")
        let sites = self.runner.files.sites
        let (path, name): (URL, String)
        if file == "artifacts.zip" {
            (path, name) = (sites.testArtifactsZip(key), "artifacts.zip")
        } else {
            guard let artifact = try? await self.store.testArtifact(key.scope, artifactId: file), artifact.key == key else {
                throw HTTPError(.notFound, message: "No such test artifact.")
            }
            (path, name) = (sites.testArtifact(key, artifactId: file), (artifact.artifact.fileName as NSString).lastPathComponent)
        }
        // The job may have run on another node: its TEST step's files are in the object store, if there is one.
        do {
            _ = try await sites.fetchIfMissing(path)
        } catch {
            throw HTTPError(.serviceUnavailable, message: "The test artifact could not be fetched from the object store: \(error)")
        }
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path.path))?[.size] as? NSNumber else {
            throw HTTPError(.notFound, message: "No such test artifact.")
        }
        let body = try await FileIO(threadPool: .singleton).loadFile(path: path.path, context: context)
        let quoted = name.replacingOccurrences(of: "\\", with: "_").replacingOccurrences(of: "\"", with: "_")
        return Response(
            status: .ok,
            headers: [
                .contentType: MediaType.getMediaType(forExtension: (name as NSString).pathExtension)?.description ?? "application/octet-stream",
                .contentLength: size.stringValue, .contentDisposition: "attachment; filename=\"\(quoted)\"",
            ],
            body: body
        )
    }

    /// Where a live branch's thumbnail is drawn (GetBranch's `thumbnailUrl`, GetApp's `productionBranch`).
    static func thumbnailURL(_ call: APICall, _ scope: Scope, appId: String, branchName: String) -> String {
        call.signedURL(AdminPath.thumbnail(scope, appId: appId, branchName: branchName))
    }

    /// A small SVG card with the branch, its live job and when it went live.
    private func thumbnail(_ context: AmplifyRequestContext) async throws -> Response {
        let scope = Scope(account: try Self.parameter(context, "account"), region: try Self.parameter(context, "region"))
        guard let branch = try? await self.store.branch(scope, appId: try Self.parameter(context, "appId"), branchName: try Self.parameter(context, "branchName")),
            let jobId = branch.liveJobId
        else {
            throw HTTPError(.notFound, message: "No site is live for this branch.")
        }
        func escaped(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        let deployed = branch.lastDeployTime.map { $0.formatted(Date.ISO8601FormatStyle()) } ?? ""
        let svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="320" height="180" viewBox="0 0 320 180">
            <rect width="320" height="180" rx="8" fill="#232f3e"/>
            <text x="20" y="60" font-family="sans-serif" font-size="22" fill="#ff9900">\(escaped(branch.displayName))</text>
            <text x="20" y="100" font-family="sans-serif" font-size="14" fill="#ffffff">\(escaped(branch.appId)) · job \(jobId)</text>
            <text x="20" y="130" font-family="sans-serif" font-size="12" fill="#d5dbdb">\(deployed)</text>
            </svg>
            """
        return Response(status: .ok, headers: [.contentType: "image/svg+xml"], body: .init(byteBuffer: ByteBuffer(string: svg)))
    }

    /// The job a signed URL's path names (`:account/:region/:appId/:branchName/:jobId`); 404 for a job id that is not one.
    static func jobKey(_ context: AmplifyRequestContext) throws -> JobKey {
        func parameter(_ name: String) throws -> String { try Self.parameter(context, name) }
        guard let jobId = Int(try parameter("jobId")) else { throw HTTPError(.notFound) }
        return JobKey(
            scope: Scope(account: try parameter("account"), region: try parameter("region")),
            appId: try parameter("appId"), branchName: try parameter("branchName"), jobId: jobId
        )
    }

    /// A path parameter, percent-decoded (the router leaves them raw).
    static func parameter(_ context: AmplifyRequestContext, _ name: String) throws -> String {
        guard let raw = context.parameters.get(name), let value = raw.removingPercentEncoding else {
            throw HTTPError(.badRequest, message: "Bad \(name) in the path.")
        }
        return value
    }

    /// A step's log as it is so far. `Range: bytes=N-` asks for what came after the first N bytes (206),
    /// which is how a client follows a growing log: 416 means nothing new yet.
    private func log(_ request: Request, _ context: AmplifyRequestContext) async throws -> Response {
        let key = try Self.jobKey(context)
        let range = request.headers[.range].flatMap { range -> Int? in
            guard range.hasPrefix("bytes="), range.hasSuffix("-") else { return nil }
            return Int(range.dropFirst(6).dropLast()).flatMap { $0 >= 0 ? $0 : nil }
        }
        // Only what comes after the range's start is read: following a log costs the same whatever its size.
        guard let tail = try await self.store.log(key, step: try Self.parameter(context, "step"), from: range ?? 0) else {
            throw HTTPError(.notFound, message: "No such log.")
        }
        var headers: HTTPFields = [.contentType: "text/plain; charset=utf-8", .acceptRanges: "bytes"]
        guard let start = range else {
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: tail.bytes)))
        }
        guard start < tail.total else {
            headers[.contentRange] = "bytes */\(tail.total)"
            return Response(status: .rangeNotSatisfiable, headers: headers)
        }
        headers[.contentRange] = "bytes \(start)-\(tail.total - 1)/\(tail.total)"
        return Response(status: .partialContent, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: tail.bytes)))
    }

    /// A PUT to an upload URL that CreateDeployment handed out: streams the body to the file `destination`
    /// names for the job (written aside, then renamed), refusing more than `--max-upload-bytes`. Only a
    /// MANUAL job that was not started yet takes uploads.
    private func upload(_ request: Request, _ context: AmplifyRequestContext, destination: (JobKey) -> URL) async throws -> Response {
        let key = try Self.jobKey(context)
        let limit = self.configuration.maxUploadBytes
        let job = try await self.store.job(key)
        guard job.jobType == .manual, job.status == .created else {
            throw AmplifyError.badRequest("Job \(key.jobId) takes no uploads: it is a \(job.jobType.rawValue) job, \(job.status.rawValue).")
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw HTTPError(.contentTooLarge, message: "The upload is larger than \(limit) bytes.")
        }
        let file = destination(key)
        let partial = file.deletingLastPathComponent().appending(path: ".\(file.lastPathComponent).\(UUID().uuidString.lowercased()).part")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let body = ByteLimitedSequence(base: request.body, limit: limit)
        do {
            try await FileIO(threadPool: .singleton).writeFile(contents: body, path: partial.path, context: context)
            guard rename(partial.path, file.path) == 0 else { throw HTTPError(.internalServerError, message: "The upload could not be stored.") }
        } catch {
            try? FileManager.default.removeItem(at: partial)
            // NIO's file system reports the body's own 413 (a chunked upload past the limit) as an error of its own.
            if body.exceeded { throw HTTPError(.contentTooLarge, message: "The upload is larger than \(limit) bytes.") }
            throw error
        }
        // Acknowledged only once the node that deploys it, whichever it is, can fetch it.
        do {
            try await self.runner.files.sites.share(file: file)
        } catch {
            SiteFiles.remove(file)
            throw HTTPError(.serviceUnavailable, message: "The upload could not be stored in the object store: \(error)")
        }
        return Response(status: .ok)
    }

    static func json(_ object: [String: Any]) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
