import AmplifyCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Serves every branch's live site on the API's port, told apart by the `Host` header
/// (`<displayName>.<appId>.localhost`, or a subdomain of an available domain association): basic auth, the app's
/// custom rules top-down (first match wins), the files of the branch's live job (or of the deployment skew protection
/// keeps for the client) (content types, `index.html` for folders, HEAD, ETag and ranges,
/// through Hummingbird's `FileMiddleware`), the app's custom headers, and one access log line per request.
/// Requests for other hosts go on to the API.
public struct SiteMiddleware<Context: RemoteAddressRequestContext>: RouterMiddleware {
    let store: any Store
    let files: SiteFiles
    let accessLog: AccessLog
    let clock: ServiceClock
    /// Where `Compute` routes of SSR deployments go; nil answers them 503.
    let compute: (any ComputeGateway)?
    /// Resizes images for deployments' image optimization routes; nil serves the originals.
    let images: ImageOptimizer?
    private let cache = SiteSettingsCache()
    private let memo = SiteResponseMemo()
    private let domains = DomainSites()
    /// `LocalFileSystem` announces its folder at info level; one per request would flood the log.
    private static var quietLogger: Logger {
        var logger = Logger(label: "amplify-local.sites")
        logger.logLevel = .critical
        return logger
    }

    public init(
        store: any Store, files: SiteFiles, accessLog: AccessLog, clock: ServiceClock, compute: (any ComputeGateway)? = nil, images: ImageOptimizer? = nil
    ) {
        self.compute = compute
        self.images = images
        self.store = store
        self.files = files
        self.accessLog = accessLog
        self.clock = clock
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let hostHeader = request.head.authority else { return try await next(request, context) }
        let started = ContinuousClock.now
        // Read before anything the answer is made of, so that an answer made across a write is never kept.
        let generation = self.store.writeGeneration
        let memoKey = generation == nil ? nil : SiteResponseMemo.key(request)
        if let generation, let memoKey, let answer = self.memo.answer(memoKey, generation: generation) {
            let response = Response(status: answer.status, headers: answer.headers, body: ResponseBody(byteBuffer: answer.body))
            return self.finish(response, request, context, host: hostHeader, site: (answer.scope, answer.appId), started: started)
        }
        let site: (app: App, branch: Branch)?
        let siteHost = SiteHost(hostHeader)
        if let siteHost {
            site = try await self.store.site(appId: siteHost.appId, displayName: siteHost.displayName)
        } else if let domainSite = try await self.domains.site(hostHeader, store: self.store, now: self.clock.now()) {
            site = domainSite
        } else {
            return try await next(request, context)
        }
        var response = await self.respond(request, context, site: site, host: hostHeader)
        // A domain's site depends on the time too (a domain becomes available), so only `SiteHost` answers are kept.
        if let generation, let memoKey, siteHost != nil, let (app, branch) = site, response.status == .ok, Self.answersAlike(app, branch),
            let length = response.body.contentLength, length <= SiteResponseMemo.maxAnswerBytes,
            let body = try? await BodyCollector.collect(response.body)
        {
            response.body = ResponseBody(byteBuffer: body)
            let answer = SiteResponseMemo.Answer(status: response.status, headers: response.headers, body: body, scope: app.scope, appId: app.appId)
            self.memo.keep(answer, for: memoKey, generation: generation)
        }
        return self.finish(response, request, context, host: hostHeader, site: site.map { ($0.app.scope, $0.app.appId) }, started: started)
    }

    /// Whether the branch's site answers every request for a path alike: no basic auth (its `Authorization`), no
    /// skew protection (its cookie, header and query), no compute (an SSR app's routes).
    private static func answersAlike(_ app: App, _ branch: Branch) -> Bool {
        app.platform == .web && !branch.enableSkewProtection && BasicAuth(app: app, branch: branch).credentials == nil
    }

    /// The response with its request id, and its access log line when it was for an app's site.
    private func finish(
        _ response: Response, _ request: Request, _ context: Context, host: String, site: (scope: Scope, appId: String)?, started: ContinuousClock.Instant
    ) -> Response {
        var response = response
        let requestId = RequestIds.cloudFront()
        response.headers[Self.requestIdHeader] = requestId
        if let site {
            let elapsed = ContinuousClock.now - started
            let address = context.remoteAddress
            self.accessLog.record(
                AccessLog.Entry(
                    time: self.clock.now(), clientIP: address?.ipAddress ?? "-", clientPort: address?.port ?? 0, method: request.method.rawValue,
                    host: host, path: request.uri.path, query: request.uri.query, status: response.status.code,
                    bytesSent: response.headers[.contentLength].flatMap(Int.init) ?? 0, referer: request.headers[.referer],
                    userAgent: request.headers[.userAgent], requestId: requestId,
                    seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                    contentType: response.headers[.contentType]
                ),
                scope: site.scope, appId: site.appId
            )
        }
        return response
    }

    /// CloudFront's request id header, which the access log's `x-edge-request-id` column repeats.
    static var requestIdHeader: HTTPField.Name { HTTPField.Name("x-amz-cf-id")! }

    private func respond(_ request: Request, _ context: Context, site: (app: App, branch: Branch)?, host: String) async -> Response {
        guard let (app, branch) = site else {
            return Self.page(.notFound, "No site is deployed at \(host).")
        }
        if let challenge = BasicAuth(app: app, branch: branch).challenge(request.headers[.authorization]) {
            return challenge
        }
        guard let liveJobId = branch.liveJobId else {
            return Self.page(.notFound, "Nothing is deployed to branch \(branch.branchName) yet.")
        }
        let skew = SkewProtection(request: request, branch: branch)
        let live = JobKey(scope: app.scope, appId: app.appId, branchName: branch.branchName, jobId: skew.servedJobId ?? liveJobId)
        let folder = self.files.sitePath(live)
        guard let path = Self.sitePath(of: request) else {
            return Self.page(.notFound, "Not found.")
        }
        // With an object store, a node that has not served this deployment yet fetches it first.
        do {
            try await self.files.fetch(live, generation: branch.createTime)
        } catch {
            return Self.page(.serviceUnavailable, "The deployment could not be fetched from the object store: \(error)", headers: [.retryAfter: "1"])
        }
        let settings = self.cache.settings(for: app, branch: branch)
        let deployment = self.cache.deployment(site: folder, deployedAt: branch.lastDeployTime) { self.files.deploymentHeaders(live) }
        // An SSR app's deployment of Amplify's deployment specification: routes, and its files in static/.
        let manifest = app.platform == .web ? nil : deployment.manifest
        let files = manifest == nil ? folder : folder + "/static"
        guard manifest != nil || request.method == .get || request.method == .head else {
            return Self.page(.methodNotAllowed, "Sites answer GET and HEAD only.", headers: [.allow: "GET, HEAD"])
        }
        let servePath: String
        let status: HTTPResponse.Status
        switch RuleOutcome.resolve(path: path, query: request.uri.query, rules: settings.rules, exists: { SiteFileSystem.hasPage($0, in: files) }).action {
        case .redirect(let code, let location):
            return Response(status: .init(code: code), headers: [.location: location, .contentLength: "0"])
        case .offSite(let target):
            return Self.page(.badGateway, "amplify-local serves rewrites to paths of the site, not to \(target).")
        case .serve(let path, let code):
            (servePath, status) = (path, HTTPResponse.Status(code: code))
        }
        var response = await self.answer(request, context, path: servePath, folder: folder, manifest: manifest, live: live, host: host)
        if status == .notFound && response.status == .ok { response.status = .notFound }
        let filePath = servePath.hasSuffix("/") ? String(servePath.dropFirst()) + "index.html" : String(servePath.dropFirst())
        let headers = (deployment.headers ?? settings.headers).headers(for: filePath)
        if let refused = Self.refusal(of: headers) { return refused }
        for header in headers {
            if let name = HTTPField.Name(header.name) { response.headers[name] = header.value }
        }
        if let cookie = skew.cookie(serving: live) { response.headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return response
    }

    /// The request's path, percent-decoded, when it is one a site may serve: absolute, without NUL, `.` or `..`.
    private static func sitePath(of request: Request) -> String? {
        guard let path = request.uri.path.removingPercentEncoding, path.hasPrefix("/"), !path.contains("\0"),
            !path.split(separator: "/").contains(where: { $0 == ".." || $0 == "." })
        else { return nil }
        return path
    }

    /// What answers the path the rules serve: the deployment specification's route (an SSR app: a compute, an image,
    /// or a static file), else the deployment's file.
    private func answer(
        _ request: Request, _ context: Context, path: String, folder: String, manifest: DeployManifest?, live: JobKey, host: String
    ) async -> Response {
        guard let manifest else { return await self.serve(request, context, path: path, folder: folder) }
        let target = ManifestTarget(
            request: request, path: path, folder: folder, manifest: manifest, live: live, host: host,
            clientAddress: context.remoteAddress?.ipAddress, compute: self.compute, images: self.images
        )
        return await target.respond { path, folder in await self.serve(request, context, path: path, folder: folder) }
    }

    /// The answer instead of the file when one of its custom headers has a value that cannot be sent; nil when all can.
    private static func refusal(of headers: [(name: String, value: String)]) -> Response? {
        guard let bad = headers.first(where: { !HeaderValue.isServable($0.value) }) else { return nil }
        // As on AWS, where the file deploys and CloudFront then refuses the response for every path it matches.
        return Self.page(
            .badGateway,
            "The request could not be satisfied. The header contains invalid characters: custom header \(bad.name) has a line break or another control character in its value."
        )
    }

    private func serve(_ request: Request, _ context: Context, path: String, folder: String) async -> Response {
        var head = request.head
        head.path = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
        let rewritten = Request(head: head, body: request.body)
        let files = FileMiddleware<Context, SiteFileSystem>(
            fileProvider: SiteFileSystem(root: folder, logger: Self.quietLogger), searchForIndexHtml: true
        )
        do {
            return try await files.handle(rewritten, context: context) { _, _ in throw HTTPError(.notFound) }
        } catch let error as HTTPError {
            return Self.page(error.status, error.status == .notFound ? "Not found." : (error.body ?? error.status.reasonPhrase))
        } catch {
            return Self.page(.internalServerError, "The file could not be read.")
        }
    }

    static func page(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) -> Response {
        SitePage.response(status, message, headers: headers)
    }
}
