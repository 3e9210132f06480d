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
/// environment AWS gives a compute and `PORT`, a free port of 127.0.0.1; as a user of its own when the server is root,
/// and in the builds' sandbox where there is one: the deployment read-only, as Lambda's is, a private `/tmp`, the
/// data directory out of sight, the machine's network), started when its deployment goes live or
/// at its first request (after a restart of the server), started again when it ends, and stopped (SIGTERM, SIGKILL
/// 10 s later) once its deployment is no longer its branch's live one. Requests are proxied to it, streaming both
/// ways, with `X-Forwarded-For`, `-Proto` and `-Host`.
public final class ComputeSupervisor: Service, ComputeGateway {
    /// How long a compute has to listen on its port.
    static let startTimeout: Duration = .seconds(10)
    static let stopGrace: Duration = .seconds(10)

    private final class Instance: Sendable {
        let process: Process
        let port: Int
        let startedAt = ContinuousClock.now
        init(process: Process, port: Int) {
            self.process = process
            self.port = port
        }
    }

    private let store: any Store
    private let logger: Logger
    private let hostPath: String?
    /// Where each branch's computes write their output (`ComputeOutput`).
    private let files: SiteFiles
    /// The builds' sandbox, which computes run in too (nil for none).
    private let sandbox: BuildSandbox?
    private let instances = Mutex<[ComputeDeployment: Instance]>([:])
    /// Computes that failed to start, how often in a row, and until when they are not tried again (1, 2, 4 … 60 s).
    private let backoff = Mutex<[ComputeDeployment: (failures: Int, until: ContinuousClock.Instant)]>([:])
    /// Serialises starts, so two first requests start one process.
    private let starting = Mutex<[ComputeDeployment: Task<Int, any Error>]>([:])
    private let client: HTTPClient = {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, decompression: .disabled)
        // As many connections to a compute as clients send at once (the default keeps 8).
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public init(store: any Store, files: SiteFiles, sandbox: BuildSandbox?, hostPath: String?, logger: Logger) {
        self.files = files
        self.sandbox = sandbox
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

    /// Starts the deployment's compute (unless it runs) and waits until it listens; its port.
    @discardableResult
    public func start(_ deployment: ComputeDeployment) async throws -> Int {
        if let instance = self.instances.withLock({ $0[deployment] }), instance.process.isRunning { return instance.port }
        if let wait = self.backoff.withLock({ $0[deployment] }), wait.until > ContinuousClock.now {
            let seconds = Int((wait.until - ContinuousClock.now).components.seconds) + 1
            throw StartFailure(description: "it failed to start \(wait.failures) times in a row; the next try is in \(seconds) s.")
        }
        let task = self.starting.withLock { starting -> Task<Int, any Error> in
            if let task = starting[deployment] { return task }
            let task = Task {
                do {
                    let port = try await self.launch(deployment)
                    _ = self.backoff.withLock { $0.removeValue(forKey: deployment) }
                    return port
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

    private func launch(_ deployment: ComputeDeployment) async throws -> Int {
        if let old = self.instances.withLock({ $0.removeValue(forKey: deployment) }) { Self.stop(old) }
        let port = try Self.freePort()
        let process = Process()
        var command = ["node", deployment.entrypoint]
        if let user = BuildUser.forBuild() { command = user.wrap(command) }
        if let sandbox = self.sandbox {
            let (executable, arguments) = sandbox.wrap(
                command, writable: [], readOnly: [deployment.folder], hidden: [self.files.root.path], workingDirectory: deployment.workingDirectory
            )
            command = [executable] + arguments
        }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        process.currentDirectoryURL = URL(fileURLWithPath: deployment.workingDirectory)
        process.environment = deployment.environment(port: port, path: self.hostPath)
        let output = ComputeOutput(file: self.files.computeOutput(deployment.key))
        output.note("compute of deployment \(deployment.deploymentId) starting: node \(deployment.entrypoint), PORT=\(port)")
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil } else { output.append(data) }
        }
        process.terminationHandler = { process in
            output.note("compute of deployment \(deployment.deploymentId) ended (\(process.terminationReason == .exit ? "exit code" : "signal") \(process.terminationStatus))")
        }
        do {
            try process.run()
        } catch {
            throw StartFailure(description: "node could not be started (is Node.js installed? Debian: apt-get install nodejs): \(error)")
        }
        let instance = Instance(process: process, port: port)
        self.instances.withLock { $0[deployment] = instance }
        let deadline = ContinuousClock.now + Self.startTimeout
        while ContinuousClock.now < deadline {
            if Self.listens(port) {
                self.logger.info("Compute started", metadata: ["deployment": "\(deployment.key)", "port": "\(port)"])
                return port
            }
            guard process.isRunning else {
                throw StartFailure(description: "node \(deployment.entrypoint) exited with code \(process.terminationStatus) before it listened on PORT (\(port)).")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        _ = self.instances.withLock { $0.removeValue(forKey: deployment) }
        Self.stop(instance)
        throw StartFailure(description: "nothing listened on PORT (\(port)) within 10 s: the server must listen on the port in the PORT variable.")
    }

    public func respond(to request: Request, host: String, clientAddress: String?, deployment: ComputeDeployment) async -> Response {
        let port: Int
        do {
            port = try await self.start(deployment)
        } catch {
            return SitePage.response(.serviceUnavailable, "The compute is not running: \(error)", headers: [.retryAfter: "5"])
        }
        var outgoing = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(request.uri.string)")
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
            return SitePage.response(.badGateway, "The compute did not answer: \(error)", headers: [.retryAfter: "5"])
        }
        var headers = HTTPFields()
        for (name, value) in response.headers where !Self.hopByHop.contains(name.lowercased()) {
            if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
        }
        return Response(
            status: HTTPResponse.Status(code: Int(response.status.code), reasonPhrase: response.status.reasonPhrase), headers: headers,
            body: ResponseBody(asyncSequence: response.body)
        )
    }

    /// Headers that belong to one connection, not passed on.
    static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"]

    /// Stops the computes whose deployments are no longer their branch's live one, every 2 s, until shutdown; then all.
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
        for instance in all { Self.stop(instance) }
        try? await self.client.shutdown()
    }

    /// Stops every compute whose deployment is not live any more (redeployed, its job, branch or app deleted). A
    /// compute started in the last minute for a deployment newer than the live one is being deployed: it stays.
    func stopRetired() async {
        let running = self.instances.withLock { $0.map { ($0.key, $0.value) } }
        for (deployment, instance) in running {
            let key = deployment.key
            let live: Int?
            do {
                live = try await self.store.branch(key.scope, appId: key.appId, branchName: key.branchName).liveJobId
            } catch let error as AmplifyError where error.code == .notFound {
                self.retire(deployment, instance, because: "its branch or app was deleted")
                continue
            } catch {
                continue
            }
            if live == key.jobId { continue }
            if (live ?? 0) < key.jobId && ContinuousClock.now - instance.startedAt < .seconds(60) { continue }
            self.retire(deployment, instance, because: "its deployment is no longer live")
        }
    }

    private func retire(_ deployment: ComputeDeployment, _ instance: Instance, because reason: String) {
        let removed = self.instances.withLock { instances -> Bool in
            guard instances[deployment] === instance else { return false }
            instances.removeValue(forKey: deployment)
            return true
        }
        guard removed else { return }
        self.logger.info("Compute stopped: \(reason)", metadata: ["deployment": "\(deployment.key)"])
        Self.stop(instance)
    }

    private static func stop(_ instance: Instance) {
        guard instance.process.isRunning else { return }
        let pid = instance.process.processIdentifier
        kill(pid, SIGTERM)
        Task.detached {
            try? await Task.sleep(for: Self.stopGrace)
            if instance.process.isRunning { kill(pid, SIGKILL) }
        }
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw StartFailure(description: "no socket for a port") }
        defer { close(fd) }
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw StartFailure(description: "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// 127.0.0.1:`port` as a socket address.
    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return address
    }

    /// Whether something accepts connections on 127.0.0.1:`port`.
    private static func listens(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = Self.loopback(port: port)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
