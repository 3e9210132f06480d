import AmplifyBuilds
import AmplifyCompute
import AmplifyCore
import AmplifyGit
import AmplifyHosting
import AmplifyObjects
import AmplifyProcess
import AmplifyStore
import Crypto
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The composition root: opens the store, creates the process launcher, the build runner, the computes and the
/// repository follower from their modules' configurations, and wires the routes.
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
    let objects = try await objectStore(configuration, logger: logger)
    let files = try jobFiles(configuration, node: shared ? configuration.node : nil, objects: objects)
    var processes = configuration.processes
    processes.probes = configuration.builds.mode != .simulate
    let launcher = HostProcessLauncher(configuration: processes, logger: logger)
    try await launcher.prepare()
    let computes = ComputeSupervisor(
        store: store, configuration: configuration.computes, files: files.sites, launcher: launcher,
        owner: configuration.dataDirectory.map { shared ? "\($0) \(configuration.node)" : $0 }, hostPath: configuration.hostEnvironment["PATH"],
        logger: logger
    )
    try await computes.prepare()
    // Every node of the store signs and seals with the same key: the store keeps the first node's.
    let serverKey = SymmetricKey(data: try await store.serverKey(proposed: URLSigner.key(in: configuration.dataDirectory).withUnsafeBytes { Array($0) }))
    let secrets = SecretBox(serverKey: serverKey)
    var context = BuildRunner.Context(files: files, launcher: launcher)
    context.startCompute = { try await computes.start($0) }
    context.secrets = { key in try await secrets.values(store, scope: key.scope, appId: key.appId, branchName: key.branchName) }
    if let metrics { context.buildEnded = { metrics.buildFinished($0) } }
    let runner = BuildRunner(store: store, clock: clock, configuration: configuration.builds, context: wire(context, configuration, logger: logger), logger: logger)
    let parts = ServerParts(
        configuration: configuration, store: store, clock: clock, files: files, runner: runner, computes: computes, proxy: ComputeProxy(supervisor: computes),
        follower: follower(configuration, store: store, clock: clock, runner: runner, launcher: launcher, logger: logger),
        images: ImageOptimizer(path: configuration.hostEnvironment["PATH"], launcher: launcher), accessLog: AccessLog(root: files.root, shared: objects, node: configuration.node),
        signer: URLSigner(key: serverKey, lifetime: configuration.urlLifetime), secrets: secrets, serverKey: serverKey, metrics: metrics,
        peers: connections.peers
    )
    if let state = configuration.initialState {
        // Loaded once, into a server that holds none of it yet: a restart on the same data leaves what is there.
        if !(try await store.load(state, skipIfHeld: true)) {
            logger.notice("--init not loaded: the server already holds apps in its accounts and regions")
        }
    }
    return Application(
        router: try parts.router(),
        server: connections.server,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "amplify-local"),
        // Stopped in the reverse order: the launcher after everything that runs programs, the store last.
        services: (storeService.map { [$0] } ?? []) + [launcher, runner, parts.follower, parts.accessLog, computes, parts.proxy],
        onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
}

/// The build runner's context from the server's configuration: where it may read `file://` sources (`--deploy-from`,
/// never the server's own files), the server's environment, the node, the tools this machine lacks.
private func wire(_ context: BuildRunner.Context, _ configuration: ServerConfiguration, logger: Logger) -> BuildRunner.Context {
    var context = context
    let files = context.files
    context.sources = SourceFolders(
        allowed: configuration.builds.deployFrom,
        protected: [files.root.path, files.buildRoot.path] + [configuration.dataDirectory, configuration.credentialsFile].compactMap { $0 }
    )
    logger.debug(
        "file:// sources are read only from: \(context.sources.allowed.isEmpty ? "no folder (--deploy-from)" : context.sources.allowed.joined(separator: ", "))"
    )
    context.hostEnvironment = configuration.hostEnvironment
    context.missingTools = BuildTools.missing(path: configuration.hostEnvironment["PATH"])
    context.maxSiteBytes = Int64(configuration.maxUploadBytes) * 4
    context.node = configuration.node
    context.sharedStore = configuration.database != nil
    return context
}

/// The repository follower, which starts jobs through the runner and stops a deleted branch's builds.
private func follower(
    _ configuration: ServerConfiguration, store: any Store, clock: ServiceClock, runner: BuildRunner, launcher: any ProcessLauncher, logger: Logger
) -> RepositoryFollower {
    var git = configuration.git
    git.node = configuration.node
    git.hostEnvironment = configuration.hostEnvironment
    git.sources = runner.sources
    let hooks = RepositoryFollower.Hooks(
        jobStarted: { runner.wake() },
        branchDeleted: { branch in
            runner.stopBuilds(of: branch.scope, appId: branch.appId, branchName: branch.branchName)
            await runner.files.removeBranch(branch.scope, appId: branch.appId, branchName: branch.branchName)
        }
    )
    return RepositoryFollower(store: store, clock: clock, configuration: git, hooks: hooks, launcher: launcher, logger: logger)
}

/// Where builds and sites keep their files: the data directory, or a temporary folder for a server in memory.
/// A root server's builds run as `nobody`, who may not reach the data directory (often under a 0700 home):
/// their workspaces and caches go to a folder of their own under the temporary folder, the same for the
/// same data directory, so caches outlive restarts. A node of several keeps its workspaces apart (`node`).
private func jobFiles(_ configuration: ServerConfiguration, node: String?, objects: (any SharedFolders)?) throws -> JobFiles {
    guard let directory = configuration.dataDirectory else { return JobFiles.temporary() }
    let root = URL(fileURLWithPath: directory, isDirectory: true).standardizedFileURL
    let cacheBytes = configuration.siteCacheBytes
    guard geteuid() == 0 else { return JobFiles(root: root, node: node, shared: objects, cacheBytes: cacheBytes) }
    let digest = Hex.lowercase(SHA256.hash(data: Data(root.path.utf8)).prefix(8))
    let buildRoot = FileManager.default.temporaryDirectory.appending(path: "amplify-local-builds-\(digest)", directoryHint: .isDirectory)
    try FileManager.default.createDirectory(at: buildRoot, withIntermediateDirectories: true)
    try FileManager.default.setAttributes([.posixPermissions: 0o711], ofItemAtPath: buildRoot.path)
    return JobFiles(root: root, buildRoot: buildRoot, node: node, shared: objects, cacheBytes: cacheBytes)
}

/// The object store of `--object-store`, once it answers a listing with these credentials.
private func objectStore(_ configuration: ServerConfiguration, logger: Logger) async throws -> (any SharedFolders)? {
    guard let bucket = configuration.objectStore else { return nil }
    let client = S3Client(bucket: bucket)
    do {
        try await client.check()
    } catch {
        throw ObjectStoreUnavailable(bucket: bucket, failure: error)
    }
    logger.notice("Files go to the object store", metadata: ["bucket": "\(bucket.name)", "prefix": "\(bucket.prefix)", "endpoint": "\(bucket.endpoint)"])
    return ObjectStoreFolders(client: client)
}

extension ObjectStoreFolders: SharedFolders {}

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
