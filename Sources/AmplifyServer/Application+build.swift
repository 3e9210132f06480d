import AmplifyBuilds
import AmplifyCompute
import AmplifyCore
import AmplifyGit
import AmplifyHosting
import AmplifyStore
import Crypto
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The composition root: opens the store, creates the build runner, and wires the routes.
///
/// `onListening` is called with the bound port once the server accepts connections.
public func buildApplication(
    configuration: ServerConfiguration,
    clock: ServiceClock = .system,
    logger: Logger = Logger(label: "amplify-local"),
    onListening: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let metrics = configuration.metrics ? ServerMetrics() : nil
    let connections = ConnectionGuards(configuration: configuration, logger: logger)
    let (store, storeService) = try await openStore(configuration, logger: logger, metrics: metrics)
    let shared = configuration.database != nil
    let files = try jobFiles(configuration, node: shared ? configuration.node : nil)
    var builds = BuildRunner.Configuration(
        mode: configuration.buildMode, simulatedBuildSeconds: configuration.simulatedBuildSeconds,
        maxConcurrentBuilds: configuration.maxConcurrentBuilds, files: files, maxLogBytes: configuration.maxLogBytes,
        hostEnvironment: configuration.hostEnvironment, maxSiteBytes: Int64(configuration.maxUploadBytes) * 4,
        node: configuration.node, leaseSeconds: configuration.buildLeaseSeconds, sharedStore: shared
    )
    builds.missingTools = BuildTools.missing(path: configuration.hostEnvironment["PATH"])
    if configuration.buildMode != .simulate {
        builds.sandbox = try await BuildSandbox.decide(configuration.buildSandbox, network: configuration.buildNetwork) { sandbox, reason in
            logger.notice(
                sandbox != nil ? "Builds run in a bubblewrap sandbox" : "Builds run without a sandbox",
                metadata: ["reason": "\(reason)", "network": "\(configuration.buildNetwork ? "all" : "none")"]
            )
        }
    }
    builds.memoryCap = configuration.buildMemoryMiB.map { Int64($0) << 20 }
    // The server's own files are never a source, whatever --deploy-from says.
    builds.sources = SourceFolders(
        allowed: configuration.deployFrom,
        protected: [files.root.path, files.buildRoot.path] + [configuration.dataDirectory, configuration.credentialsFile].compactMap { $0 }
    )
    logger.debug(
        "file:// sources are read only from: \(builds.sources.allowed.isEmpty ? "no folder (--deploy-from)" : builds.sources.allowed.joined(separator: ", "))"
    )
    builds.processLimit = ProcessLimit(maximum: configuration.buildMaxProcesses)
    builds.nodeVersions = NodeVersions(folder: configuration.nodeVersions)
    builds.backendBuilds = configuration.backendBuilds
    let network = try await ComputeNamespaces.resolve(
        configuration.computeNetwork, owner: configuration.dataDirectory.map { shared ? "\($0) \(configuration.node)" : $0 }
    )
    let computes = ComputeSupervisor(
        store: store, files: files.sites, sandbox: builds.sandbox, network: network, hostPath: configuration.hostEnvironment["PATH"],
        processLimit: builds.processLimit, logger: logger
    )
    builds.startCompute = { try await computes.start($0) }
    let serverKey = try URLSigner.key(in: configuration.dataDirectory)
    let secrets = SecretBox(serverKey: serverKey)
    builds.secrets = { key in try await secrets.values(store, scope: key.scope, appId: key.appId, branchName: key.branchName) }
    if let metrics { builds.buildEnded = { metrics.buildFinished($0) } }
    let runner = BuildRunner(store: store, clock: clock, configuration: builds, logger: logger)
    let follower = RepositoryFollower(
        store: store, clock: clock,
        configuration: .init(
            localInterval: configuration.gitPollSeconds, remoteInterval: configuration.gitRemotePollSeconds, node: configuration.node,
            hostEnvironment: configuration.hostEnvironment, sources: builds.sources
        ),
        hooks: .init(
            jobStarted: { runner.wake() },
            branchDeleted: { branch in
                runner.stopBuilds(of: branch.scope, appId: branch.appId, branchName: branch.branchName)
                runner.files.removeBranch(branch.scope, appId: branch.appId, branchName: branch.branchName)
            }
        ),
        logger: logger
    )
    let accessLog = AccessLog(root: files.root)
    let signer = URLSigner(key: serverKey, lifetime: configuration.urlLifetime)
    let faults = FaultInjector()
    for rule in configuration.faultRules { faults.add(rule) }
    let domainControls = DomainControls()
    let verifier = SigV4Verifier(credentials: configuration.credentials)
    if let state = configuration.initialState {
        // Loaded once, into a server that holds none of it yet: a restart on the same data leaves what is there.
        if !(try await store.load(state, skipIfHeld: true)) {
            logger.notice("--init not loaded: the server already holds apps in its accounts and regions")
        }
    }
    let router = Router(context: AmplifyRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: RequestLimitsMiddleware())
    if let metrics { router.add(middleware: SiteMetricsMiddleware(metrics: metrics)) }
    router.add(middleware: SiteMiddleware(store: store, files: files.sites, accessLog: accessLog, clock: clock, compute: computes))
    // Builds and computes got their sites above; nothing after is theirs.
    router.add(middleware: BuildPeerMiddleware(filter: connections.peers))
    // Sites are answered above, whoever asks; what follows is the server's own, for its own pages and clients only.
    router.add(
        middleware: FrontDoorMiddleware(
            policy: try FrontDoorPolicy(bindHost: configuration.host, allowedHosts: configuration.allowedHosts, allowedOrigins: configuration.allowedOrigins)
        )
    )
    router.add(middleware: ConsoleRedirectMiddleware())
    let api = AmplifyAPI(store: store, runner: runner, clock: clock, domainControls: domainControls)
    router.add(
        middleware: AmplifyAPIMiddleware(
            api: api,
            fallbackBaseURL: "http://\(configuration.host):\(configuration.port)",
            auth: configuration.auth, verifier: verifier, signer: signer, clock: clock, faults: faults, metrics: metrics
        )
    )
    AdminRoutes(
        store: store, runner: runner, follower: follower, accessLog: accessLog, signer: signer, clock: clock, configuration: configuration,
        faults: faults, domainControls: domainControls, verifier: verifier, metrics: metrics, secrets: secrets, computes: computes
    ).add(to: router)
    ConsoleRoutes(
        api: api, signer: signer, clock: clock, auth: configuration.auth, credentials: configuration.credentials,
        sessions: ConsoleSessions(serverKey: serverKey, idleLimit: configuration.consoleIdleHours * 3600), files: files.sites
    ).add(to: router)
    return Application(
        router: router,
        server: connections.server,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "amplify-local"),
        services: (storeService.map { [$0] } ?? []) + [runner, follower, accessLog, computes],
        onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
}

/// Where builds and sites keep their files: the data directory, or a temporary folder for a server in memory.
/// A root server's builds run as `nobody`, who may not reach the data directory (often under a 0700 home):
/// their workspaces and caches go to a folder of their own under the temporary folder, the same for the
/// same data directory, so caches outlive restarts. A node of several keeps its workspaces apart (`node`).
private func jobFiles(_ configuration: ServerConfiguration, node: String?) throws -> JobFiles {
    guard let directory = configuration.dataDirectory else { return JobFiles.temporary() }
    let root = URL(fileURLWithPath: directory, isDirectory: true).standardizedFileURL
    guard geteuid() == 0 else { return JobFiles(root: root, node: node) }
    let digest = Hex.lowercase(SHA256.hash(data: Data(root.path.utf8)).prefix(8))
    let buildRoot = FileManager.default.temporaryDirectory.appending(path: "amplify-local-builds-\(digest)", directoryHint: .isDirectory)
    try FileManager.default.createDirectory(at: buildRoot, withIntermediateDirectories: true)
    try FileManager.default.setAttributes([.posixPermissions: 0o711], ofItemAtPath: buildRoot.path)
    return JobFiles(root: root, buildRoot: buildRoot, node: node)
}

/// The store, and the service that must run for it (PostgreSQL's connection pool).
private func openStore(_ configuration: ServerConfiguration, logger: Logger, metrics: ServerMetrics?) async throws -> (any Store, (any Service)?) {
    if let directory = configuration.dataDirectory {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // Builds run as other users when the server is root: they may pass through the data directory to their
        // workspace, but not list it.
        try FileManager.default.setAttributes([.posixPermissions: 0o711], ofItemAtPath: directory)
    }
    if let database = configuration.database {
        // Several nodes share the data directory then: no lock on it.
        let store = try await PostgresStore(
            location: PostgresLocation(url: database), quotas: configuration.quotas, logger: logger, onRetry: { metrics?.storeRetry() }
        )
        return (store, store)
    }
    guard let directory = configuration.dataDirectory else {
        return (try SQLiteStore(path: nil, quotas: configuration.quotas), nil)
    }
    try DataDirectoryLock.acquire(directory)
    let path = (directory as NSString).appendingPathComponent("amplify-local.sqlite")
    // Nor may they read the database. It is made 0600 before SQLite opens it, since SQLite gives its -wal and -shm
    // files the database's mode when it makes them (the write-ahead log holds recent pages: tokens, credentials,
    // variables); those a version before this one made are set right here.
    if !FileManager.default.fileExists(atPath: path), !FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
    }
    for file in [path, path + "-wal", path + "-shm", path + "-journal"] where FileManager.default.fileExists(atPath: file) {
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
    }
    let store = try SQLiteStore(path: path, quotas: configuration.quotas)
    return (store, nil)
}
