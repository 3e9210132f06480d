import AmplifyBuilds
import AmplifyCompute
import AmplifyCore
import AmplifyGit
import AmplifyObjects
import AmplifyProcess
import AmplifyServer
import AmplifyStore
import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Synchronization

/// The server's options, shown by `amplify-local --help` and `amplify-local serve --help` alike. Each flag falls
/// back to its `AMPLIFY_LOCAL_*` variable.
struct ServeOptions: ParsableArguments {
    @Option(help: "Address to listen on. [env: AMPLIFY_LOCAL_HOST] (default: 127.0.0.1)")
    var host: String?

    @Option(help: "Port to listen on; 0 picks a free one. [env: AMPLIFY_LOCAL_PORT] (default: 4566)")
    var port: Int?

    @Option(help: "Where state is kept. [env: AMPLIFY_LOCAL_DATA_DIR] (default: ./.amplify-local)")
    var dataDir: String?

    @Flag(help: "Keep all state in memory, nothing in --data-dir; builds and sites use a temporary folder, removed at shutdown. [env: AMPLIFY_LOCAL_IN_MEMORY=1]")
    var inMemory = false

    @Option(help: "Keep state in this PostgreSQL database instead of SQLite, shared with other nodes: postgres://user:password@host:5432/database[?sslmode=disable|prefer|require|verify-full]. [env: AMPLIFY_LOCAL_DATABASE]")
    var database: String?

    @Option(help: "Keep sites, uploads, build caches and test artifacts in this S3-compatible bucket too, so that nodes share no folder: s3://BUCKET[/PREFIX]; needs --object-store-endpoint, and AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN too, if any). [env: AMPLIFY_LOCAL_OBJECT_STORE]")
    var objectStore: String?

    @Option(help: "The object store's endpoint, addressed path-style: http(s)://host:port. [env: AMPLIFY_LOCAL_OBJECT_STORE_ENDPOINT]")
    var objectStoreEndpoint: String?

    @Option(help: "The region object store requests are signed for. [env: AMPLIFY_LOCAL_OBJECT_STORE_REGION] (default: AWS_REGION, else us-east-1)")
    var objectStoreRegion: String?

    @Option(help: "How many MiB of the sites it fetched from the object store a node keeps on disk; past it, the least recently used go. [env: AMPLIFY_LOCAL_OBJECT_STORE_CACHE_MB] (default: 2048)")
    var objectStoreCacheMb: Int?

    @Option(help: "This node's name among those sharing a database (letters, digits, '.', '_', '-'): under the same name, a restarted node ends its previous run's jobs at once. [env: AMPLIFY_LOCAL_NODE_NAME] (default: <hostname>-<pid>-<random>)")
    var nodeName: String?

    @Option(help: "How long a node may go without renewing its builds' claims before another node fails them, in seconds. [env: AMPLIFY_LOCAL_BUILD_LEASE_SECONDS] (default: 30)")
    var buildLeaseSeconds: Double?

    @Option(help: "How often the branches of repositories on this machine are read, in seconds (fractions allowed); 0 reads none. [env: AMPLIFY_LOCAL_GIT_POLL_SECONDS] (default: 5)")
    var gitPollSeconds: Double?

    @Option(help: "How often the branches of remote repositories are listed (git ls-remote), in seconds; 0 lists none. [env: AMPLIFY_LOCAL_GIT_REMOTE_POLL_SECONDS] (default: 60)")
    var gitRemotePollSeconds: Double?

    @Flag(inversion: .prefixedNo, help: "Count and time requests and builds for Prometheus at /_amplify-local/metrics. [env: AMPLIFY_LOCAL_METRICS=on|off] (default: on)")
    var metrics: Bool?

    @Option(help: "auto, run or simulate. [env: AMPLIFY_LOCAL_BUILD_MODE] (default: auto)")
    var buildMode: BuildMode?

    @Option(help: "Total time of a simulated build, in seconds. [env: AMPLIFY_LOCAL_SIMULATED_BUILD_SECONDS] (default: 1.0)")
    var simulatedBuildSeconds: Double?

    @Option(help: "Builds that run at once; more wait in PENDING. [env: AMPLIFY_LOCAL_MAX_CONCURRENT_BUILDS] (default: 5)")
    var maxConcurrentBuilds: Int?

    @Option(help: "Run builds in a bubblewrap sandbox: auto (where bwrap works), bubblewrap (required) or none. [env: AMPLIFY_LOCAL_BUILD_SANDBOX] (default: auto)")
    var buildSandbox: Sandbox.Mode?

    @Option(help: "What sandboxed builds reach: all (the machine's network) or none. [env: AMPLIFY_LOCAL_BUILD_NETWORK] (default: all)")
    var buildNetwork: BuildNetwork?

    @Option(help: "Where builds run: host, podman (every build in a container of its image) or auto (in a container when the build names an image and podman works). [env: AMPLIFY_LOCAL_BUILD_RUNTIME] (default: auto)")
    var buildRuntime: BuildRuntime?

    @Option(help: "The image builds run in under podman when the app's _CUSTOM_IMAGE names none; it also stands for Amplify's own (amplify:al2023). [env: AMPLIFY_LOCAL_BUILD_IMAGE]")
    var buildImage: String?

    @Option(help: "Hours a console sign-in lasts without a request (--auth strict). [env: AMPLIFY_LOCAL_CONSOLE_IDLE_HOURS] (default: 12)")
    var consoleIdleHours: Double?

    @Option(help: "How SSR computes are networked: auto (a network namespace of their own with PORT=3000 where one can be made), namespace (required) or loopback (a free PORT of 127.0.0.1). [env: AMPLIFY_LOCAL_COMPUTE_NETWORK] (default: auto)")
    var computeNetwork: ComputeNamespaces.Mode?

    @Option(help: "The most memory a build gets in MiB, below its compute type's (STANDARD_8GB: 8192). [env: AMPLIFY_LOCAL_BUILD_MEMORY_MIB]")
    var buildMemoryMib: Int?

    @Option(help: "The most processes and threads a build or an SSR compute has at once, at least 16 (a pids control group where the server is root, else RLIMIT_NPROC under the build's own user or user namespace). [env: AMPLIFY_LOCAL_BUILD_MAX_PROCESSES] (default: 2048)")
    var buildMaxProcesses: Int?

    @Option(help: "A folder file:// sources may be read from: a deployment's sourceUrl, an app's repository on this machine (a path or file:// URL); repeat for more. Symbolic links are resolved first; the data folder is never read. [env: AMPLIFY_LOCAL_DEPLOY_FROM, ':'-separated] (default: the folder the server starts in, unless that is / or the home folder)")
    var deployFrom: [String] = []

    @Option(help: "The Node.js versions builds may pick with nvm (nvm use 20) or _LIVE_UPDATES: a folder in nvm's layout (DIR/v20.18.0/bin/node, what ~/.nvm/versions/node holds); the machine's own node is nvm's system. [env: AMPLIFY_LOCAL_NODE_VERSIONS] (default: ~/.nvm/versions/node when it exists)")
    var nodeVersions: String?

    @Option(help: "What a build does with amplifyPush or npx ampx pipeline-deploy (they deploy the backend to AWS, which amplify-local does not emulate): fail (the build fails there, saying so) or skip (taken as succeeded). [env: AMPLIFY_LOCAL_BACKEND_BUILDS] (default: fail)")
    var backendBuilds: BackendBuilds?

    @Option(help: "Apps per account and region (AWS: 25). [env: AMPLIFY_LOCAL_MAX_APPS_PER_REGION] (default: 25)")
    var maxAppsPerRegion: Int?

    @Option(help: "Branches per app (AWS: 50). [env: AMPLIFY_LOCAL_MAX_BRANCHES_PER_APP] (default: 50)")
    var maxBranchesPerApp: Int?

    @Option(help: "Domain associations per app (AWS: 5). [env: AMPLIFY_LOCAL_MAX_DOMAINS_PER_APP] (default: 5)")
    var maxDomainsPerApp: Int?

    @Option(help: "Webhooks per app (AWS: 50). [env: AMPLIFY_LOCAL_MAX_WEBHOOKS_PER_APP] (default: 50)")
    var maxWebhooksPerApp: Int?

    @Option(help: "off, soft or strict: whether SigV4 signatures are checked. [env: AMPLIFY_LOCAL_AUTH] (default: off)")
    var auth: AuthMode?

    @Option(help: "File of ACCESS_KEY_ID:SECRET[:ACCOUNT_ID] lines that signatures are checked against. [env: AMPLIFY_LOCAL_CREDENTIALS]")
    var credentials: String?

    @Option(help: "A host name requests may name besides IP addresses, localhost, *.localhost and --host (a name behind a proxy or in a hosts file); *.NAME allows the names under NAME, * any. Others are refused (403): a page whose name was made to point here (DNS rebinding). Repeat for more. [env: AMPLIFY_LOCAL_ALLOWED_HOSTS, comma-separated]")
    var allowedHosts: [String] = []

    @Option(help: "An origin (scheme://host[:port], such as http://localhost:3000) whose pages may call the API and admin endpoints, with CORS answers; * allows any. Pages of other origins are refused (403), the console's own excepted. Repeat for more. [env: AMPLIFY_LOCAL_ALLOWED_ORIGINS, comma-separated]")
    var allowedOrigins: [String] = []

    @Option(help: "The most log one step of a build keeps, in bytes. [env: AMPLIFY_LOCAL_MAX_LOG_BYTES] (default: 67108864)")
    var maxLogBytes: Int?

    @Option(help: "The largest deployment upload (a zip or one file), in bytes. [env: AMPLIFY_LOCAL_MAX_UPLOAD_BYTES] (default: 5000000000)")
    var maxUploadBytes: Int?

    @Option(help: "How long log, upload and access-log URLs work, in seconds. [env: AMPLIFY_LOCAL_URL_EXPIRY_SECONDS] (default: 3600)")
    var urlExpirySeconds: Double?

    @Option(help: "Seconds a request's head (request line and headers) may take to arrive, from the connection's opening or the request's first byte; slower ones are closed (a 408 when part came). [env: AMPLIFY_LOCAL_HEADER_TIMEOUT] (default: 10)")
    var headerTimeout: Double?

    @Option(help: "Seconds a kept-alive connection may stay idle between requests, or a request body go without a byte, before it is closed. [env: AMPLIFY_LOCAL_IDLE_TIMEOUT] (default: 60)")
    var idleTimeout: Double?

    @Option(help: "The most connections open at once; one more is answered 503 and closed. [env: AMPLIFY_LOCAL_MAX_CONNECTIONS] (default: half the open-file limit less 256, at most 32768; the soft limit is raised to the hard one at start)")
    var maxConnections: Int?

    @Option(help: "Fault rules in force from the start: a JSON list of rules as POST /_amplify-local/faults takes them. [env: AMPLIFY_LOCAL_FAULTS]")
    var faults: String?

    @Option(help: "State to load at start into a server that holds none (a document as GET /_amplify-local/state answers). [env: AMPLIFY_LOCAL_INIT]")
    var `init`: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical. [env: AMPLIFY_LOCAL_LOG_LEVEL] (default: info)")
    var logLevel: String?

    /// Runs the server until it is stopped. A start that fails says why in one line (`StartupFailure`) and leaves
    /// no data directory behind that it made itself.
    func serve() async throws {
        let configuration = try self.serverConfiguration(ProcessInfo.processInfo.environment)
        LoggingSystem.bootstrap { label in LazyStreamLogHandler(label: label) }
        var logger = Logger(label: "amplify-local")
        let level = self.logLevel ?? ProcessInfo.processInfo.environment["AMPLIFY_LOCAL_LOG_LEVEL"] ?? "info"
        guard let logLevel = Logger.Level(rawValue: level) else {
            throw ValidationError("Unknown log level '\(level)'.")
        }
        logger.logLevel = logLevel
        let madeDataDirectory = try configuration.dataDirectory.flatMap(StartupFailure.makeDataDirectory)
        let files = configuration.dataDirectory.map { "data in \($0)" } ?? "state in memory"
        let database = configuration.database.flatMap { try? PostgresLocation(url: $0) }
        let storage = database.map { "\(files), state in \($0) as node \(configuration.node)" } ?? files
        let listening = Atomic(false)
        do {
            let app = try await buildApplication(configuration: configuration, logger: logger) { port in
                listening.store(true, ordering: .relaxed)
                let line = "amplify-local \(AmplifyLocal.version) listening on http://\(configuration.host):\(port) (\(storage))\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            }
            try await app.runService()
        } catch {
            guard !listening.load(ordering: .relaxed) else { throw error }
            if let madeDataDirectory { try? FileManager.default.removeItem(atPath: madeDataDirectory) }
            throw StartupFailure(error, configuration: configuration)
        }
    }

    func serverConfiguration(_ environment: [String: String]) throws -> ServerConfiguration {
        let options = OptionFallback(environment: environment)
        var configuration = ServerConfiguration()
        configuration.hostEnvironment = environment
        try self.serverOptions(&configuration, options)
        try self.limits(&configuration, options)
        try self.storage(&configuration, options)
        configuration.builds = try self.builds(options, environment: environment)
        configuration.processes = try self.processes(options)
        configuration.processes.environment = environment
        configuration.computes.network = try options.value(self.computeNetwork, "COMPUTE_NETWORK", ComputeNamespaces.Mode.init(rawValue:))
            ?? configuration.computes.network
        configuration.git = try self.git(options)
        return configuration
    }

    /// Where the server listens, who may call it, and what it starts with.
    private func serverOptions(_ configuration: inout ServerConfiguration, _ options: OptionFallback) throws {
        configuration.host = try options.value(self.host, "HOST", { $0 }) ?? configuration.host
        configuration.port = try options.value(self.port, "PORT", Int.init) ?? configuration.port
        guard (0...65535).contains(configuration.port) else { throw ValidationError("The port must be between 0 and 65535.") }
        configuration.consoleIdleHours = try options.value(self.consoleIdleHours, "CONSOLE_IDLE_HOURS", Double.init) ?? configuration.consoleIdleHours
        if configuration.consoleIdleHours <= 0 { throw ValidationError("--console-idle-hours must be more than 0.") }
        configuration.auth = try options.value(self.auth, "AUTH", AuthMode.init(rawValue:)) ?? configuration.auth
        if let path = try options.value(self.credentials, "CREDENTIALS", { $0 }) {
            configuration.credentials = try SigV4Verifier.credentials(fromFile: path)
            configuration.credentialsFile = path
        }
        if configuration.auth != .off && configuration.credentials.isEmpty {
            throw ValidationError("--auth \(configuration.auth.rawValue) needs --credentials FILE with at least one ACCESS_KEY_ID:SECRET line.")
        }
        configuration.metrics = try options.value(self.metrics, "METRICS", { ["on": true, "off": false][$0.lowercased()] }) ?? configuration.metrics
        configuration.allowedHosts = options.list(self.allowedHosts, "ALLOWED_HOSTS")
        configuration.allowedOrigins = options.list(self.allowedOrigins, "ALLOWED_ORIGINS")
        do {
            _ = try FrontDoorPolicy(bindHost: configuration.host, allowedHosts: configuration.allowedHosts, allowedOrigins: configuration.allowedOrigins)
            if let path = try options.value(self.faults, "FAULTS", { $0 }) { try configuration.loadFaultRules(fromFile: path) }
            if let path = try options.value(self.`init`, "INIT", { $0 }) { try configuration.loadInitialState(fromFile: path) }
        } catch let error as AmplifyError {
            throw ValidationError(error.message)
        }
    }

    /// Quotas, upload and URL limits, connection timeouts.
    private func limits(_ configuration: inout ServerConfiguration, _ options: OptionFallback) throws {
        var quotas = configuration.quotas
        quotas.appsPerRegion = try options.value(self.maxAppsPerRegion, "MAX_APPS_PER_REGION", Int.init) ?? quotas.appsPerRegion
        quotas.branchesPerApp = try options.value(self.maxBranchesPerApp, "MAX_BRANCHES_PER_APP", Int.init) ?? quotas.branchesPerApp
        quotas.domainsPerApp = try options.value(self.maxDomainsPerApp, "MAX_DOMAINS_PER_APP", Int.init) ?? quotas.domainsPerApp
        quotas.webhooksPerApp = try options.value(self.maxWebhooksPerApp, "MAX_WEBHOOKS_PER_APP", Int.init) ?? quotas.webhooksPerApp
        guard [quotas.appsPerRegion, quotas.branchesPerApp, quotas.domainsPerApp, quotas.webhooksPerApp].allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("Quotas must be at least 1.")
        }
        configuration.quotas = quotas
        configuration.maxUploadBytes = try options.value(self.maxUploadBytes, "MAX_UPLOAD_BYTES", Int.init) ?? configuration.maxUploadBytes
        guard configuration.maxUploadBytes >= 1 else { throw ValidationError("The upload limit must be at least 1 byte.") }
        configuration.urlLifetime = try options.value(self.urlExpirySeconds, "URL_EXPIRY_SECONDS", Double.init) ?? configuration.urlLifetime
        guard configuration.urlLifetime > 0, configuration.urlLifetime.isFinite else { throw ValidationError("URLs must live more than 0 seconds.") }
        configuration.headerTimeoutSeconds = try options.value(self.headerTimeout, "HEADER_TIMEOUT", Double.init) ?? configuration.headerTimeoutSeconds
        configuration.idleTimeoutSeconds = try options.value(self.idleTimeout, "IDLE_TIMEOUT", Double.init) ?? configuration.idleTimeoutSeconds
        for (name, seconds) in [("--header-timeout", configuration.headerTimeoutSeconds), ("--idle-timeout", configuration.idleTimeoutSeconds)] {
            guard seconds >= 0.1, seconds <= 86_400 else { throw ValidationError("\(name) must be between 0.1 and 86400 seconds.") }
        }
        configuration.maxConnections = try options.value(self.maxConnections, "MAX_CONNECTIONS", Int.init)
        if let connections = configuration.maxConnections, connections < 1 { throw ValidationError("--max-connections must be at least 1.") }
    }

    /// Where state is kept, and this node's name among those that share it.
    private func storage(_ configuration: inout ServerConfiguration, _ options: OptionFallback) throws {
        configuration.dataDirectory = try options.value(self.dataDir, "DATA_DIR", { $0 }) ?? configuration.dataDirectory
        let inMemoryVariable = try options.value(nil as Bool?, "IN_MEMORY", { ["1", "true", "yes"].contains($0.lowercased()) })
        if self.inMemory || inMemoryVariable == true { configuration.dataDirectory = nil }
        if let database = try options.value(self.database, "DATABASE", { $0 }) {
            do {
                _ = try PostgresLocation(url: database)
            } catch {
                throw ValidationError(error.description)
            }
            configuration.database = database
        }
        if let url = try options.value(self.objectStore, "OBJECT_STORE", { $0 }) {
            guard let endpoint = try options.value(self.objectStoreEndpoint, "OBJECT_STORE_ENDPOINT", { $0 }) else {
                throw ValidationError("--object-store needs --object-store-endpoint (the store's http(s)://host:port).")
            }
            let region = try options.value(self.objectStoreRegion, "OBJECT_STORE_REGION", { $0 })
                ?? options.environment["AWS_REGION"] ?? options.environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
            do {
                configuration.objectStore = try S3Bucket(
                    url: url, endpoint: endpoint, region: region, accessKeyId: options.environment["AWS_ACCESS_KEY_ID"] ?? "",
                    secretAccessKey: options.environment["AWS_SECRET_ACCESS_KEY"] ?? "", sessionToken: options.environment["AWS_SESSION_TOKEN"]
                )
            } catch {
                throw ValidationError(error.description)
            }
            guard configuration.dataDirectory != nil else { throw ValidationError("--object-store needs a data folder for this node's copies: not --in-memory.") }
        }
        if let megabytes = try options.value(self.objectStoreCacheMb, "OBJECT_STORE_CACHE_MB", Int.init) {
            guard megabytes >= 1 else { throw ValidationError("--object-store-cache-mb must be at least 1.") }
            configuration.siteCacheBytes = Int64(megabytes) << 20
        }
        if let name = try options.value(self.nodeName, "NODE_NAME", { $0 }) {
            let allowed = name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
            guard allowed, (1...64).contains(name.count) else {
                throw ValidationError("The node name must be 1 to 64 letters, digits, '.', '_' or '-'.")
            }
            configuration.node = name
        }
    }

    /// The builds' options (`BuildRunner.Configuration`).
    private func builds(_ options: OptionFallback, environment: [String: String]) throws -> BuildRunner.Configuration {
        var builds = BuildRunner.Configuration()
        builds.mode = try options.value(self.buildMode, "BUILD_MODE", BuildMode.init(rawValue:)) ?? builds.mode
        builds.simulatedBuildSeconds = try options.value(self.simulatedBuildSeconds, "SIMULATED_BUILD_SECONDS", Double.init) ?? builds.simulatedBuildSeconds
        guard builds.simulatedBuildSeconds >= 0, builds.simulatedBuildSeconds.isFinite else {
            throw ValidationError("The simulated build time must be 0 or more seconds.")
        }
        builds.maxConcurrentBuilds = try options.value(self.maxConcurrentBuilds, "MAX_CONCURRENT_BUILDS", Int.init) ?? builds.maxConcurrentBuilds
        guard builds.maxConcurrentBuilds >= 1 else { throw ValidationError("At least one build must be able to run.") }
        builds.memoryMiB = try options.value(self.buildMemoryMib, "BUILD_MEMORY_MIB", Int.init)
        if let memory = builds.memoryMiB, memory < 16 { throw ValidationError("--build-memory-mib must be at least 16.") }
        builds.maxLogBytes = try options.value(self.maxLogBytes, "MAX_LOG_BYTES", Int.init) ?? builds.maxLogBytes
        guard builds.maxLogBytes >= 1024 else { throw ValidationError("The log limit must be at least 1024 bytes.") }
        builds.leaseSeconds = try options.value(self.buildLeaseSeconds, "BUILD_LEASE_SECONDS", Double.init) ?? builds.leaseSeconds
        // Claims are renewed every second: a lease of less than two would lapse between renewals.
        guard builds.leaseSeconds >= 2, builds.leaseSeconds.isFinite else { throw ValidationError("The build lease must be at least 2 seconds.") }
        if let folder = try options.value(self.nodeVersions, "NODE_VERSIONS", { $0 }) {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--node-versions \(folder): no such folder.")
            }
            builds.nodeVersions = folder
        } else {
            builds.nodeVersions = NodeVersions.defaultFolder(home: environment["HOME"])
        }
        builds.backendBuilds = try options.value(self.backendBuilds, "BACKEND_BUILDS", BackendBuilds.init(rawValue:)) ?? builds.backendBuilds
        builds.image = try options.value(self.buildImage, "BUILD_IMAGE", { $0.isEmpty ? nil : $0 })
        let deployFrom = options.list(self.deployFrom, "DEPLOY_FROM", separator: ":")
        for folder in deployFrom where !FileManager.default.fileExists(atPath: folder) {
            throw ValidationError("--deploy-from \(folder): no such folder.")
        }
        builds.deployFrom = deployFrom.isEmpty
            ? SourceFolders.defaultFolders(workingDirectory: FileManager.default.currentDirectoryPath, home: environment["HOME"]) : deployFrom
        if builds.mode == .run, case let missing = BuildTools.missing(path: environment["PATH"]), !missing.isEmpty {
            throw ValidationError(
                "--build-mode run: real builds need git, bash and tar on PATH; \(missing.joined(separator: ", ")) not found. Install them, or use --build-mode auto (simulates then) or simulate."
            )
        }
        return builds
    }

    /// How programs are held (`HostProcessLauncher.Configuration`).
    private func processes(_ options: OptionFallback) throws -> HostProcessLauncher.Configuration {
        var processes = HostProcessLauncher.Configuration()
        processes.sandbox = try options.value(self.buildSandbox, "BUILD_SANDBOX", Sandbox.Mode.init(rawValue:)) ?? processes.sandbox
        processes.network = try options.value(self.buildNetwork, "BUILD_NETWORK", BuildNetwork.init(rawValue:)).map { $0 == .all } ?? processes.network
        processes.buildRuntime = try options.value(self.buildRuntime, "BUILD_RUNTIME", BuildRuntime.init(rawValue:)) ?? processes.buildRuntime
        if let maximum = try options.value(self.buildMaxProcesses, "BUILD_MAX_PROCESSES", Int.init) {
            guard maximum >= ProcessLimit.leastMaximum else { throw ValidationError("--build-max-processes must be at least \(ProcessLimit.leastMaximum).") }
            processes.maxProcesses = maximum
        }
        return processes
    }

    /// How repositories are followed (`RepositoryFollower.Configuration`).
    private func git(_ options: OptionFallback) throws -> RepositoryFollower.Configuration {
        var git = RepositoryFollower.Configuration()
        git.localInterval = try options.value(self.gitPollSeconds, "GIT_POLL_SECONDS", Double.init) ?? git.localInterval
        git.remoteInterval = try options.value(self.gitRemotePollSeconds, "GIT_REMOTE_POLL_SECONDS", Double.init) ?? git.remoteInterval
        for seconds in [git.localInterval, git.remoteInterval] {
            guard seconds == 0 || (seconds >= 0.05 && seconds.isFinite) else {
                throw ValidationError("Git poll intervals must be 0 (off) or at least 0.05 seconds.")
            }
        }
        return git
    }
}
