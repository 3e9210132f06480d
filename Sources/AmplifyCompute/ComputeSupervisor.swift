import AmplifyBuilds
import AmplifyCore
import AmplifyHosting
import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs the computes of SSR deployments: one Node.js process per deployment (in `compute/<name>/`, with the
/// environment AWS gives a compute; as a user of its own when the server is root, and in the builds' sandbox where
/// there is one: the deployment read-only, as Lambda's is, but for a Next.js server's cache folders
/// (`ComputeDeployment.writableFolders`), a private `/tmp`, the data directory out of sight).
/// Where network namespaces can be made (`ComputeNamespaces`) each compute has one of its own and `PORT=3000`, as on
/// AWS, so servers that hard-code 3000 run for every branch at once; a server that listens on its namespace's
/// loopback only is started again on a free port of the machine's 127.0.0.1, as everywhere without namespaces.
/// A compute is started when its deployment goes live or at its first request (after a restart of the server),
/// started again when it ends, and once its deployment is no longer served (redeployed, deleted, or a skew-protected
/// earlier deployment idle for 5 minutes) it is drained: its requests in flight end first, then its `node` gets
/// SIGTERM, and SIGKILL 10 s later. Requests are proxied to it, streaming both ways, with `X-Forwarded-For`,
/// `-Proto` and `-Host`.
public final class ComputeSupervisor: Service, ComputeGateway {
    /// How long a compute has to listen on its port.
    static let startTimeout: Duration = .seconds(10)
    static let stopGrace: Duration = .seconds(10)
    /// How long a retired compute's requests in flight may go on before it is stopped all the same.
    static let drainLimit: Duration = .seconds(30)
    /// How long an earlier deployment's compute (skew protection) runs without a request.
    static let idleLimit: Duration = .seconds(300)
    /// The port a compute listens on in a namespace of its own, as on AWS.
    static let namespacePort = 3000

    private let store: any Store
    private let logger: Logger
    private let hostPath: String?
    /// Where each branch's computes write their output (`ComputeOutput`).
    private let files: SiteFiles
    /// The builds' sandbox, which computes run in too (nil for none; perhaps still being probed).
    private let sandbox: Task<(sandbox: BuildSandbox?, reason: String), Never>
    /// Each compute's own network namespace, where they can be made (nil: computes share the machine's network), and
    /// why; decided once (`ComputeNamespaces.resolve`).
    private let network: Task<(ComputeNamespaces?, reason: String), Never>
    private let instances = Mutex<[ComputeDeployment: ComputeInstance]>([:])
    /// Deployments whose server listens on its loopback only: they run on the machine's 127.0.0.1, not in a namespace.
    private let loopbackOnly = Mutex<Set<ComputeDeployment>>([])
    /// Computes that failed to start, how often in a row, and until when they are not tried again (1, 2, 4 … 60 s).
    private let backoff = Mutex<[ComputeDeployment: (failures: Int, until: ContinuousClock.Instant)]>([:])
    /// Serialises starts, so two first requests start one process.
    private let starting = Mutex<[ComputeDeployment: Task<ComputeInstance, any Error>]>([:])
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

    /// The most processes (and threads) a compute has at once (`--build-max-processes`), nil for no limit.
    private let processLimit: ProcessLimit?

    /// Whether the log has said how computes are networked (when the first one starts).
    private let networkNoted = Atomic<Bool>(false)

    public init(
        store: any Store, files: SiteFiles, sandbox: Task<(sandbox: BuildSandbox?, reason: String), Never>, network: Task<(ComputeNamespaces?, reason: String), Never>, hostPath: String?,
        processLimit: ProcessLimit? = nil, logger: Logger
    ) {
        self.processLimit = processLimit
        self.files = files
        self.sandbox = sandbox
        self.network = network
        self.store = store
        self.hostPath = hostPath
        self.logger = logger
    }

    /// The output a branch's computes wrote (the last MiB or two), nil when none ran.
    public func output(_ scope: Scope, appId: String, branchName: String) -> Data? {
        ComputeOutput.read(self.files.computeOutput(JobKey(scope: scope, appId: appId, branchName: branchName, jobId: 0)))
    }

    /// Why a compute could not be started.
    public struct StartFailure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts the deployment's compute (unless it runs) and waits until it listens; where it answers, in words.
    @discardableResult
    public func start(_ deployment: ComputeDeployment) async throws -> String {
        try await self.instance(deployment).endpoint
    }

    private func instance(_ deployment: ComputeDeployment) async throws -> ComputeInstance {
        // One still starting is not used: its start (in `starting`) is waited for.
        if let instance = self.instances.withLock({ $0[deployment] }), instance.isServing { return instance }
        if let wait = self.backoff.withLock({ $0[deployment] }), wait.until > ContinuousClock.now {
            let seconds = Int((wait.until - ContinuousClock.now).components.seconds) + 1
            throw StartFailure(description: "it failed to start \(wait.failures) times in a row; the next try is in \(seconds) s.")
        }
        let task = self.starting.withLock { starting -> Task<ComputeInstance, any Error> in
            if let task = starting[deployment] { return task }
            let task = Task {
                do {
                    let instance = try await self.launch(deployment)
                    _ = self.backoff.withLock { $0.removeValue(forKey: deployment) }
                    return instance
                } catch {
                    self.backoff.withLock { backoff in
                        let failures = (backoff[deployment]?.failures ?? 0) + 1
                        backoff[deployment] = (failures, ContinuousClock.now + .seconds(min(1 << min(failures - 1, 6), 60)))
                    }
                    throw error
                }
            }
            starting[deployment] = task
            return task
        }
        defer { _ = self.starting.withLock { $0.removeValue(forKey: deployment) } }
        return try await task.value
    }

    private func launch(_ deployment: ComputeDeployment) async throws -> ComputeInstance {
        let (namespaces, reason) = await self.network.value
        if !self.networkNoted.exchange(true, ordering: .relaxed) {
            self.logger.notice(
                namespaces != nil ? "SSR computes get network namespaces of their own (PORT=3000)" : "SSR computes listen on 127.0.0.1 (a free PORT)",
                metadata: ["reason": "\(reason)"]
            )
        }
        if let old = self.instances.withLock({ $0.removeValue(forKey: deployment) }) { self.stop(old) }
        let inNamespace = self.loopbackOnly.withLock({ $0.contains(deployment) }) ? nil : namespaces
        let port = try inNamespace == nil ? Self.freePort() : Self.namespacePort
        let sandbox = await self.sandbox.value.sandbox
        var command = ["node", deployment.entrypoint]
        if sandbox == nil, let setpriv = Self.setpriv {
            // Ends with the server, as the sandbox does (which dies with its parent), even when the server is killed
            // (asked for after the change of user, which clears it).
            command = [setpriv, "--pdeathsig", "KILL", "--"] + command
        }
        let user = BuildUser.forBuild()
        if let user { command = user.wrap(command) }
        // What it may write of its deployment (a Next.js server's cache): this start's user's.
        let writable = deployment.writableFolders
        if let user { for folder in writable { user.own(URL(fileURLWithPath: folder, isDirectory: true)) } }
        // Inside the sandbox and before the change of user, so that the kernel counts the compute's processes alone
        // (its user's, or its user namespace's); not for a compute that runs as the server's user in its namespace.
        if let limit = self.processLimit { command = limit.rlimitWords(ownCount: user != nil || sandbox?.hasOwnUserNamespace == true) + command }
        if var sandbox {
            // A compute is reached through the network it runs in: a sandbox of its own would cut it off.
            sandbox.network = true
            let (executable, arguments) = sandbox.wrap(
                command, writable: writable, readOnly: [deployment.folder], hidden: [self.files.root.path], workingDirectory: deployment.workingDirectory
            )
            command = [executable] + arguments
        }
        if let inNamespace { command = inNamespace.commandPrefix + command }
        let output = ComputeOutput(file: self.files.computeOutput(deployment.key))
        let instance = ComputeInstance(port: port, namespaces: inNamespace)
        let pid: pid_t
        do {
            pid = try await instance.start(
                ["/usr/bin/env"] + command, environment: deployment.environment(port: port, hostname: inNamespace == nil ? Self.loopbackAddress : "0.0.0.0", path: self.hostPath),
                workingDirectory: deployment.workingDirectory, output: output
            ) { how in
                output.note("compute of deployment \(deployment.deploymentId) ended (\(how))")
            }
        } catch {
            throw StartFailure(description: "node could not be started (is Node.js installed? Debian: apt-get install nodejs): \(error)")
        }
        self.instances.withLock { $0[deployment] = instance }
        func exited() -> StartFailure {
            StartFailure(description: "node \(deployment.entrypoint) ended (\(instance.ending ?? "")) before it listened on PORT (\(port)).")
        }
        /// Whether it listens where the server reaches it (false: on its namespace's loopback only).
        func reachable() async throws -> Bool {
            if let inNamespace { await instance.attached(try await inNamespace.attach(pid, running: { instance.isRunning })) }
            output.note("compute of deployment \(deployment.deploymentId) starting: node \(deployment.entrypoint), \(instance.endpoint)")
            let deadline = ContinuousClock.now + Self.startTimeout
            while ContinuousClock.now < deadline {
                guard instance.isRunning else { throw exited() }
                // In a namespace, its socket table says (a connection to an address that is not routed any more would
                // leave through the machine's default route, where anything may answer).
                switch inNamespace == nil ? (Self.listens(Self.loopbackAddress, port) ? .reachable : .none) : ProcessTree.listener(pid, port: port) {
                case .reachable: return true
                case .loopbackOnly: return false
                case .none: try await Task.sleep(for: .milliseconds(20))
                }
            }
            throw StartFailure(description: "nothing listened on PORT (\(port)) within 10 s: the server must listen on the port in the PORT variable.")
        }
        do {
            if try await reachable() {
                instance.listening()
                self.logger.info("Compute started", metadata: ["deployment": "\(deployment.key)", "at": "\(instance.host):\(port)"])
                return instance
            }
        } catch {
            // Its end (seen a moment after it comes) is the reason, whatever failed with it (its network's making).
            var ended = !instance.isRunning
            for _ in 0..<10 where !ended {
                try? await Task.sleep(for: .milliseconds(10))
                ended = !instance.isRunning
            }
            if self.instances.withLock({ $0[deployment] === instance ? $0.removeValue(forKey: deployment) : nil }) != nil { self.stop(instance) }
            throw ended ? exited() : error
        }
        // Reachable on its namespace's loopback only: run it where the server can reach its loopback.
        output.note("compute of deployment \(deployment.deploymentId) listens on its loopback only: started again on the machine's 127.0.0.1")
        _ = self.loopbackOnly.withLock { $0.insert(deployment) }
        _ = self.instances.withLock { $0.removeValue(forKey: deployment) }
        self.stop(instance, signal: SIGKILL)
        return try await self.launch(deployment)
    }

    public func respond(to request: Request, host: String, clientAddress: String?, deployment: ComputeDeployment) async -> Response {
        let instance: ComputeInstance
        do {
            instance = try await self.instance(deployment)
        } catch {
            return SitePage.response(.serviceUnavailable, "The compute is not running: \(error)", headers: [.retryAfter: "5"])
        }
        instance.used()
        // HEAD's response has no body to wait for.
        if request.method != .head { instance.inFlight.add(1, ordering: .relaxed) }
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
        let response: HTTPClientResponse
        do {
            response = try await self.client.execute(outgoing, timeout: .seconds(300))
        } catch {
            if request.method != .head { instance.inFlight.subtract(1, ordering: .relaxed) }
            return SitePage.response(.badGateway, "The compute did not answer: \(error)", headers: [.retryAfter: "5"])
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

    /// Headers that belong to one connection, not passed on.
    static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"]

    /// Stops the computes whose deployments are no longer served every 2 s, until shutdown; then all, and waits for
    /// them to end.
    public func run() async throws {
        // The wait ends at once when the server shuts down (a sleep of its own would hold the shutdown up to 2 s).
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(2)) }
            } catch {
                break
            }
            await self.stopRetired()
        }
        let all = self.instances.withLock { instances in
            defer { instances.removeAll() }
            return Array(instances.values)
        }
        for instance in all { self.stop(instance) }
        let deadline = ContinuousClock.now + Self.stopGrace + .seconds(1)
        while all.contains(where: { $0.isRunning }) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        // Their ends may not have been seen yet when the server exits.
        for instance in all { await instance.releaseNetwork() }
        await self.network.value.0?.releaseAll()
        try? await self.client.shutdown()
    }

    /// Stops every compute whose deployment is not served any more (redeployed, its job, branch or app deleted, its
    /// job stopped or failed before it went live; an earlier skew-protected deployment idle for 5 minutes).
    func stopRetired() async {
        let running = self.instances.withLock { $0.map { ($0.key, $0.value) } }
        for (deployment, instance) in running {
            let key = deployment.key
            let branch: Branch
            do {
                branch = try await self.store.branch(key.scope, appId: key.appId, branchName: key.branchName)
            } catch let error as AmplifyError where error.code == .notFound {
                self.retire(deployment, instance, because: "its branch or app was deleted")
                continue
            } catch {
                continue
            }
            if branch.liveJobId == key.jobId { continue }
            // Newer than the live one: being deployed, while its job runs (StopJob during DEPLOY ends it).
            if (branch.liveJobId ?? 0) < key.jobId, (try? await self.store.job(key))?.status == .running { continue }
            if branch.skewProtectedJobIds.contains(key.jobId) && instance.idle < Self.idleLimit { continue }
            self.retire(deployment, instance, because: "its deployment is no longer served")
        }
    }

    private func retire(_ deployment: ComputeDeployment, _ instance: ComputeInstance, because reason: String) {
        let removed = self.instances.withLock { instances -> Bool in
            guard instances[deployment] === instance else { return false }
            instances.removeValue(forKey: deployment)
            return true
        }
        guard removed else { return }
        self.logger.info("Compute stopping: \(reason)", metadata: ["deployment": "\(deployment.key)"])
        Task.detached {
            let deadline = ContinuousClock.now + Self.drainLimit
            while instance.inFlight.load(ordering: .relaxed) > 0 && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(20))
            }
            self.stop(instance)
        }
    }

    /// Asks the compute's `node` to stop (`signal`: SIGTERM, the processes of its sandbox ending with it) and kills
    /// what is left of it `stopGrace` later. Its namespace goes when its process has ended.
    private func stop(_ instance: ComputeInstance, signal: Int32 = SIGTERM) {
        guard instance.isRunning else { return }
        guard let pid = instance.pid else { return }
        // The sandbox's own processes pass no signal on: the compute's are the ones told.
        let below = ProcessTree.descendants(of: pid)
        for target in below.isEmpty ? [pid] : below { kill(target, signal) }
        guard signal != SIGKILL else {
            kill(pid, SIGKILL)
            return
        }
        Task.detached {
            let deadline = ContinuousClock.now + Self.stopGrace
            while instance.isRunning && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(50))
            }
            guard instance.isRunning else { return }
            for target in ProcessTree.descendants(of: pid) + [pid] { kill(target, SIGKILL) }
        }
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw StartFailure(description: "no socket for a port") }
        defer { close(fd) }
        var address = Self.socketAddress(Self.loopbackAddress, port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw StartFailure(description: "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static let loopbackAddress = "127.0.0.1"
    static let setpriv = SearchPath.find("setpriv")

    /// `host`:`port` (IPv4) as a socket address.
    private static func socketAddress(_ host: String, port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return address
    }

    /// Whether something accepts connections on `host`:`port`.
    private static func listens(_ host: String, _ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = Self.socketAddress(host, port: port)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
