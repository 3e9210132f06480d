import AmplifyBuilds
import AmplifyCompute
import AmplifyCore
import AmplifyGit
import AmplifyHosting
import Crypto
import Hummingbird

/// What the composition root made (`buildApplication`), and how requests reach it: the middlewares in their order
/// (sites first, for whoever asks; then the server's own pages and API, for its own clients only) and the routes.
struct ServerParts {
    let configuration: ServerConfiguration
    let store: any Store
    let clock: ServiceClock
    let files: JobFiles
    let runner: BuildRunner
    let computes: ComputeSupervisor
    let proxy: ComputeProxy
    let follower: RepositoryFollower
    let images: ImageOptimizer
    let accessLog: AccessLog
    let signer: URLSigner
    let secrets: SecretBox
    let serverKey: SymmetricKey
    let metrics: ServerMetrics?
    let peers: BuildPeerFilter

    func router() throws -> Router<AmplifyRequestContext> {
        let configuration = self.configuration
        let faults = FaultInjector()
        for rule in configuration.faultRules { faults.add(rule) }
        let domainControls = DomainControls()
        let verifier = SigV4Verifier(credentials: configuration.credentials)
        let router = Router(context: AmplifyRequestContext.self)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: RequestLimitsMiddleware())
        if let metrics { router.add(middleware: SiteMetricsMiddleware(metrics: metrics)) }
        router.add(
            middleware: SiteMiddleware(
                store: self.store, files: self.files.sites, accessLog: self.accessLog, clock: self.clock, compute: ComputeSiteGateway(proxy: self.proxy),
                images: self.images
            )
        )
        // Builds and computes got their sites above; nothing after is theirs.
        router.add(middleware: BuildPeerMiddleware(filter: self.peers))
        // Sites are answered above, whoever asks; what follows is the server's own, for its own pages and clients only.
        router.add(
            middleware: FrontDoorMiddleware(
                policy: try FrontDoorPolicy(bindHost: configuration.host, allowedHosts: configuration.allowedHosts, allowedOrigins: configuration.allowedOrigins)
            )
        )
        router.add(middleware: ConsoleRedirectMiddleware())
        let api = AmplifyAPI(store: self.store, runner: self.runner, clock: self.clock, domainControls: domainControls)
        router.add(
            middleware: AmplifyAPIMiddleware(
                api: api, fallbackBaseURL: "http://\(configuration.host):\(configuration.port)", auth: configuration.auth, verifier: verifier,
                signer: self.signer, clock: self.clock, faults: faults, metrics: self.metrics
            )
        )
        AdminRoutes(
            store: self.store, runner: self.runner, follower: self.follower, accessLog: self.accessLog, signer: self.signer, clock: self.clock,
            configuration: configuration, faults: faults, domainControls: domainControls, verifier: verifier, metrics: self.metrics,
            secrets: self.secrets, computes: self.computes
        ).add(to: router)
        ConsoleRoutes(
            api: api, signer: self.signer, clock: self.clock, auth: configuration.auth, credentials: configuration.credentials,
            sessions: ConsoleSessions(serverKey: self.serverKey, idleLimit: configuration.consoleIdleHours * 3600), files: self.files.sites
        ).add(to: router)
        return router
    }
}
