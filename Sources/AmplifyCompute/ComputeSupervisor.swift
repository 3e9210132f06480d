import AmplifyCore
import AmplifyProcess
import Foundation
import Logging
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
/// started again when it ends, and once its deployment is no longer served (`ComputeServing`: redeployed, deleted, or
/// a skew-protected earlier deployment idle for 5 minutes) it is drained: its requests in flight end first, then its
/// `node` gets SIGTERM, and SIGKILL 10 s later. `ComputeProxy` passes requests on to it.
public final class ComputeSupervisor: Service {
    /// The computes' options, as the command line sets them.
    public struct Configuration: Sendable {
        /// How computes of SSR apps are networked (`--compute-network`).
        public var network = ComputeNamespaces.Mode.auto

        public init() {}
    }

    /// How long a compute has to listen on its port.
    static let startTimeout: Duration = .seconds(10)
    static let stopGrace: Duration = .seconds(10)
    /// How long a retired compute's requests in flight may go on before it is stopped all the same.
    static let drainLimit: Duration = .seconds(30)
    /// The port a compute listens on in a namespace of its own, as on AWS.
    static let namespacePort = 3000

    private let store: any Store
    private let configuration: Configuration
    private let logger: Logger
    private let launcher: any ProcessLauncher
    private let hostPath: String?
    /// Where each branch's computes write their output (`ComputeOutput`).
    private let files: SiteFiles
    /// Each compute's own network namespace, where they can be made (nil: computes share the machine's network), and
    /// why; decided once (`prepare`, or at the start of `run`).
    private let network = Eventual<(ComputeNamespaces?, reason: String)>()
    private let namespaces: ComputeNamespaces
    /// The supervisor's own tasks: starts, drains, stops, routes removed later.
    private let tasks = ServiceTasks()
    private let instances = Mutex<[ComputeDeployment: ComputeInstance]>([:])
    /// Deployments whose server listens on its loopback only: they run on the machine's 127.0.0.1, not in a namespace.
    private let loopbackOnly = Mutex<Set<ComputeDeployment>>([])
    /// Computes that failed to start, how often in a row, and until when they are not tried again (1, 2, 4 … 60 s).
    private let backoff = Mutex<[ComputeDeployment: (failures: Int, until: ContinuousClock.Instant)]>([:])
    /// Serialises starts, so two first requests start one process.
    private let starting = Mutex<[ComputeDeployment: Eventual<Result<ComputeInstance, any Error>>]>([:])
    /// Whether the log has said how computes are networked (when the first one starts).
    private let networkNoted = Atomic<Bool>(false)

    /// `owner` names the server for the namespaces' marks: its data directory, and its node name where nodes share one
    /// (nil: in memory). `hostPath` is the PATH computes get.
    public init(
        store: any Store, configuration: Configuration = Configuration(), files: SiteFiles, launcher: any ProcessLauncher, owner: String?,
        hostPath: String?, logger: Logger
    ) {
        self.store = store
        self.configuration = configuration
        self.files = files
        self.launcher = launcher
        self.hostPath = hostPath
        self.logger = logger
        self.namespaces = ComputeNamespaces(owner: owner ?? "in-memory \(getpid())", launcher: launcher, tasks: self.tasks)
    }

    /// Decides at once what the server's start depends on: `--compute-network namespace` (an error naming why when
    /// none can be made) and `loopback`; `auto` is probed once the supervisor runs.
    public func prepare() async throws {
        guard self.configuration.network != .auto else { return }
        self.network.decide(try await ComputeNamespaces.resolve(self.configuration.network, namespaces: self.namespaces))
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

    /// The deployment's compute, serving: started first (once, however many ask at the same time) unless it runs.
    func instance(_ deployment: ComputeDeployment) async throws -> ComputeInstance {
        // One still starting is not used: its start (in `starting`) is waited for.
        if let instance = self.instances.withLock({ $0[deployment] }), instance.isServing { return instance }
        if let wait = self.backoff.withLock({ $0[deployment] }), wait.until > ContinuousClock.now {
            let seconds = Int((wait.until - ContinuousClock.now).components.seconds) + 1
            throw StartFailure(description: "it failed to start \(wait.failures) times in a row; the next try is in \(seconds) s.")
        }
        let (start, first) = self.starting.withLock { starting -> (Eventual<Result<ComputeInstance, any Error>>, Bool) in
            if let start = starting[deployment] { return (start, false) }
            let start = Eventual<Result<ComputeInstance, any Error>>()
            starting[deployment] = start
            return (start, true)
        }
        if first {
            let queued = self.tasks.add {
                let result: Result<ComputeInstance, any Error>
                do {
                    result = .success(try await self.launch(deployment))
                } catch {
                    result = .failure(error)
                }
                self.backoff.withLock { backoff in
                    guard case .failure = result else { return _ = backoff.removeValue(forKey: deployment) }
                    let failures = (backoff[deployment]?.failures ?? 0) + 1
                    backoff[deployment] = (failures, ContinuousClock.now + .seconds(min(1 << min(failures - 1, 6), 60)))
                }
                _ = self.starting.withLock { $0.removeValue(forKey: deployment) }
                start.decide(result)
            }
            if !queued { start.decide(.failure(StartFailure(description: "the server is stopping."))) }
        }
        return try await start.value.get()
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
        let command = await self.command(deployment, port: port, inNamespace: inNamespace)
        let output = ComputeOutput(file: self.files.computeOutput(deployment.key))
        let instance = ComputeInstance(port: port, namespaces: inNamespace)
        let pid: Int32
        do {
            pid = try await instance.start(command, launcher: self.launcher, output: output) { how in
                output.note("compute of deployment \(deployment.deploymentId) ended (\(how))")
            }
        } catch {
            throw StartFailure(description: "node could not be started (is Node.js installed? Debian: apt-get install nodejs): \(error)")
        }
        self.instances.withLock { $0[deployment] = instance }
        do {
            if try await self.reachable(instance, pid: pid, deployment: deployment, output: output) {
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
            throw ended ? Self.exited(deployment, instance) : error
        }
        // Reachable on its namespace's loopback only: run it where the server can reach its loopback.
        output.note("compute of deployment \(deployment.deploymentId) listens on its loopback only: started again on the machine's 127.0.0.1")
        _ = self.loopbackOnly.withLock { $0.insert(deployment) }
        _ = self.instances.withLock { $0.removeValue(forKey: deployment) }
        self.stop(instance, signal: SIGKILL)
        return try await self.launch(deployment)
    }

    /// The command that runs the deployment's `node`: as a user of its own (who owns what it may write of its
    /// deployment), its processes limited, in the sandbox (with the network it is reached through) where there is
    /// one, in its network namespace when it has one.
    private func command(_ deployment: ComputeDeployment, port: Int, inNamespace: ComputeNamespaces?) async -> ProcessCommand {
        let environment = deployment.environment(port: port, hostname: inNamespace == nil ? Self.loopbackAddress : "0.0.0.0", path: self.hostPath)
        var command = ProcessCommand("node", [deployment.entrypoint], environment: environment, workingDirectory: deployment.workingDirectory)
        command.endsWithServer = true
        command.runAs = ProcessUser.forBuild()
        if let user = command.runAs { for folder in deployment.writableFolders { user.own(URL(fileURLWithPath: folder, isDirectory: true)) } }
        command.processLimit = self.launcher.processLimit
        if var sandbox = await self.launcher.isolation.sandbox {
            // A compute is reached through the network it runs in: a sandbox of its own would cut it off.
            sandbox.network = true
            command.containment = .sandbox(
                sandbox, writable: deployment.writableFolders, readOnly: [deployment.folder], hidden: [self.files.root.path],
                workingDirectory: deployment.workingDirectory
            )
        }
        command.prefix = ["/usr/bin/env"] + (inNamespace?.commandPrefix ?? [])
        return command
    }

    /// Whether the compute listens where the server reaches it (false: on its namespace's loopback only), waiting up
    /// to `startTimeout` for it; throws when it ended first, or listened nowhere.
    private func reachable(_ instance: ComputeInstance, pid: Int32, deployment: ComputeDeployment, output: ComputeOutput) async throws -> Bool {
        let inNamespace = instance.namespaces
        if let inNamespace { await instance.attached(try await inNamespace.attach(pid, running: { instance.isRunning })) }
        output.note("compute of deployment \(deployment.deploymentId) starting: node \(deployment.entrypoint), \(instance.endpoint)")
        let deadline = ContinuousClock.now + Self.startTimeout
        while ContinuousClock.now < deadline {
            guard instance.isRunning else { throw Self.exited(deployment, instance) }
            // In a namespace, its socket table says (a connection to an address that is not routed any more would
            // leave through the machine's default route, where anything may answer).
            let port = instance.port
            switch inNamespace == nil ? (Self.listens(Self.loopbackAddress, port) ? .reachable : .none) : ProcessTable.listener(pid, port: port) {
            case .reachable: return true
            case .loopbackOnly: return false
            case .none: try await Task.sleep(for: .milliseconds(20))
            }
        }
        throw StartFailure(description: "nothing listened on PORT (\(instance.port)) within 10 s: the server must listen on the port in the PORT variable.")
    }

    private static func exited(_ deployment: ComputeDeployment, _ instance: ComputeInstance) -> StartFailure {
        StartFailure(description: "node \(deployment.entrypoint) ended (\(instance.ending ?? "")) before it listened on PORT (\(instance.port)).")
    }

    /// Probes the computes' network (`auto`), stops the computes whose deployments are no longer served every 2 s,
    /// until shutdown; then all, and waits for them to end.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.tasks.run() }
            if self.network.decided == nil {
                let mode = self.configuration.network
                self.tasks.add {
                    let resolved = (try? await ComputeNamespaces.resolve(mode, namespaces: self.namespaces)) ?? (nil, "the namespaces could not be probed")
                    self.network.decide(resolved)
                }
            }
            // The wait ends at once when the server shuts down (a sleep of its own would hold the shutdown up to 2 s).
            while !Task.isShuttingDownGracefully {
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(2)) }
                } catch {
                    break
                }
                await self.stopRetired()
            }
            await self.stopAll()
            self.tasks.finish()
        }
    }

    /// Stops every compute and waits for them to end (the server is stopping).
    private func stopAll() async {
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
        await self.network.decided?.0?.releaseAll()
    }

    /// Stops every compute whose deployment is not served any more (`ComputeServing`).
    func stopRetired() async {
        let running = self.instances.withLock { $0.map { ($0.key, $0.value) } }
        for (deployment, instance) in running {
            let key = deployment.key
            let branch: Branch?
            do {
                branch = try await self.store.branch(key.scope, appId: key.appId, branchName: key.branchName)
            } catch let error as AmplifyError where error.code == .notFound {
                branch = nil
            } catch {
                continue
            }
            let idle = instance.idle
            switch ComputeServing.of(jobId: key.jobId, branch: branch, idleSeconds: Double(idle.components.seconds)) {
            case .served:
                continue
            case .whileItsJobRuns:
                if (try? await self.store.job(key))?.status == .running { continue }
                self.retire(deployment, instance, because: "its deployment is no longer served")
            case .retired(let reason):
                self.retire(deployment, instance, because: reason)
            }
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
        self.tasks.add {
            let deadline = ContinuousClock.now + Self.drainLimit
            while instance.inFlight.load(ordering: .relaxed) > 0 && ContinuousClock.now < deadline && !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(20))
            }
            self.stop(instance)
        }
    }

    /// Asks the compute's `node` to stop (`signal`: SIGTERM, the processes of its sandbox ending with it) and kills
    /// what is left of it `stopGrace` later. Its namespace goes when its process has ended.
    private func stop(_ instance: ComputeInstance, signal: Int32 = SIGTERM) {
        guard instance.isRunning else { return }
        instance.signal(signal)
        guard signal != SIGKILL else { return }
        let killed = self.tasks.add {
            let deadline = ContinuousClock.now + Self.stopGrace
            while instance.isRunning && ContinuousClock.now < deadline && !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(50))
            }
            instance.signal(SIGKILL)
        }
        // The supervisor has stopped: nothing waits for the grace, the rest is killed now.
        if !killed { instance.signal(SIGKILL) }
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
