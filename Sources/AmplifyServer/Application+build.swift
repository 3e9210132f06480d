import AmplifyBuilds
import AmplifyCore
import AmplifyHosting
import AmplifyStore
import Foundation
import Hummingbird
import Logging
import NIOCore

/// The composition root: opens the store, creates the build runner, and wires the routes.
///
/// `onListening` is called with the bound port once the server accepts connections.
public func buildApplication(
    configuration: ServerConfiguration,
    clock: ServiceClock = .system,
    logger: Logger = Logger(label: "amplify-local"),
    onListening: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let store = try openStore(configuration)
    let files = configuration.dataDirectory.map { JobFiles(root: URL(fileURLWithPath: $0, isDirectory: true)) } ?? JobFiles.temporary()
    let runner = BuildRunner(
        store: store, clock: clock,
        configuration: .init(
            mode: configuration.buildMode, simulatedBuildSeconds: configuration.simulatedBuildSeconds,
            maxConcurrentBuilds: configuration.maxConcurrentBuilds, files: files, maxLogBytes: configuration.maxLogBytes,
            hostEnvironment: configuration.hostEnvironment
        ),
        logger: logger
    )
    let accessLog = AccessLog(root: files.root)
    let signer = URLSigner(key: try URLSigner.key(in: configuration.dataDirectory), lifetime: configuration.urlLifetime)
    let router = Router(context: AmplifyRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: RequestLimitsMiddleware())
    router.add(middleware: SiteMiddleware(store: store, files: files.sites, accessLog: accessLog))
    router.add(
        middleware: AmplifyAPIMiddleware(
            api: AmplifyAPI(store: store, runner: runner, clock: clock),
            fallbackBaseURL: "http://\(configuration.host):\(configuration.port)",
            auth: configuration.auth, verifier: SigV4Verifier(credentials: configuration.credentials), signer: signer
        )
    )
    AdminRoutes(store: store, runner: runner, accessLog: accessLog, signer: signer, configuration: configuration).add(to: router)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "amplify-local"),
        services: [runner],
        onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
}

private func openStore(_ configuration: ServerConfiguration) throws -> any Store {
    guard let directory = configuration.dataDirectory else {
        return try SQLiteStore(path: nil, quotas: configuration.quotas)
    }
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try DataDirectoryLock.acquire(directory)
    return try SQLiteStore(path: (directory as NSString).appendingPathComponent("amplify-local.sqlite"), quotas: configuration.quotas)
}
