import AmplifyBuilds
import AmplifyCompute
import AmplifyCore
import AmplifyGit
import AmplifyObjects
import AmplifyProcess
import Foundation

/// Everything the server is told at start, filled at the edge from flags and `AMPLIFY_LOCAL_*` variables: the server's
/// own options here, each module's in its own configuration (with its defaults there).
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 4566
    /// Where the SQLite database (unless `database` is given), logs of access, uploads and sites live; nil
    /// keeps all state in memory. Nodes that share a PostgreSQL database share this folder too.
    public var dataDirectory: String? = "./.amplify-local"
    /// A PostgreSQL database (`postgres://user:password@host:port/database`) to keep state in instead of
    /// SQLite, shared by every node that names it.
    public var database: String?
    /// The object store nodes keep their files in (`--object-store s3://BUCKET[/PREFIX]`, `--object-store-endpoint`), so
    /// that they share no folder; nil keeps them in the data folder alone.
    public var objectStore: S3Bucket?
    /// How many bytes of the sites it fetched from the object store a node keeps (`--object-store-cache-mb`).
    public var siteCacheBytes: Int64 = 2 << 30
    /// The name this server's build claims go under; unique among the nodes of one database. A node that
    /// starts again under the name it had ends its previous run's jobs at once (not when their lease runs out).
    /// Host and process, and a random part: containers often share a host name and a process id of 1.
    public var node = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(String(UInt16.random(in: .min ... .max), radix: 16))"
    public var quotas = Quotas()
    /// Whether SigV4 signatures are checked: not at all, checked and logged, or enforced.
    public var auth = AuthMode.off
    /// The keys signatures are checked against (`--credentials FILE`).
    public var credentials: [String: SigV4Credential] = [:]
    /// The file signatures' keys were read from (`--credentials`): never deployed, like the data folder.
    public var credentialsFile: String?
    /// The largest deployment upload (a zip, or one file); 5 GB as on AWS.
    public var maxUploadBytes = 5_000_000_000
    /// How long the URLs the API hands out (logs, uploads, access logs, thumbnails) work, in seconds.
    public var urlLifetime = 3600.0
    /// The server's environment: git clones with it; builds see only its PATH; image resizing finds libvips on it.
    public var hostEnvironment: [String: String] = [:]
    /// Whether the server counts and times what it does (`GET /_amplify-local/metrics`).
    public var metrics = true
    /// How long a console session lasts without a request, in hours (`--console-idle-hours`; `--auth strict` only).
    public var consoleIdleHours: Double = 12
    /// Host names besides IP addresses, `localhost`, `*.localhost` and `host` that requests may name (`--allowed-hosts`:
    /// a name, `*.name`, or `*`); any other is refused (DNS rebinding).
    public var allowedHosts: [String] = []
    /// Origins besides the server's own whose pages may call the API (`--allowed-origins`: `scheme://host[:port]`, or `*`).
    public var allowedOrigins: [String] = []
    /// How long a request's head may take to arrive, in seconds, from the connection's opening or the next request's
    /// first byte (`--header-timeout`).
    public var headerTimeoutSeconds: Double = 10
    /// How long a kept-alive connection may stay idle between requests, or a request's body go without a byte, in
    /// seconds (`--idle-timeout`).
    public var idleTimeoutSeconds: Double = 60
    /// The most connections open at once (`--max-connections`); nil for `ConnectionLimiter.defaultLimit` of the
    /// file-descriptor limit in force once raised.
    public var maxConnections: Int?
    /// Fault rules in force from the start (`--faults FILE`).
    var faultRules: [FaultRule] = []
    /// State loaded at start into an empty server (`--init FILE`).
    public var initialState: StateSnapshot?

    /// Builds: mode, sizes, logs, Node.js versions, sources (`--build-*`, `--node-versions`, `--deploy-from`, …).
    public var builds = BuildRunner.Configuration()
    /// Running programs: the sandbox, its network, the process limit (`--build-sandbox`, `--build-network`,
    /// `--build-max-processes`).
    public var processes = HostProcessLauncher.Configuration()
    /// SSR computes (`--compute-network`).
    public var computes = ComputeSupervisor.Configuration()
    /// Following repositories (`--git-poll-seconds`, `--git-remote-poll-seconds`).
    public var git = RepositoryFollower.Configuration()

    /// The defaults, with the data in `dataDirectory` (nil: in memory) and builds in `buildMode`.
    public init(dataDirectory: String? = "./.amplify-local", buildMode: BuildMode = .auto, simulatedBuildSeconds: Double = 1) {
        self.dataDirectory = dataDirectory
        self.builds.mode = buildMode
        self.builds.simulatedBuildSeconds = simulatedBuildSeconds
    }
}

/// How the server treats request signatures.
public enum AuthMode: String, Sendable, CaseIterable {
    /// Signatures are not checked; the credential only picks the account and region (other emulators' default).
    case off
    /// Signatures are checked and failures logged, but requests go through.
    case soft
    /// Requests without a valid signature are refused with AWS's errors.
    case strict
}

/// A key signatures are checked against.
public typealias SigV4Credential = SigV4Verifier.Credential

extension ServerConfiguration {
    /// Reads `--faults FILE`: a JSON list of fault rules, each as `POST /_amplify-local/faults` takes it. The error
    /// names the file, the rule and the member.
    public mutating func loadFaultRules(fromFile path: String) throws(AmplifyError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw .badRequest("--faults \(path): cannot read the file.") }
        guard let list = try? JSONSerialization.jsonObject(with: data) as? [Any] else {
            throw .badRequest("--faults \(path): must be a JSON list of fault rules.")
        }
        self.faultRules = []
        for (index, item) in list.enumerated() {
            let origin = "--faults \(path): rule \(index + 1)"
            guard let object = item as? [String: Any] else { throw .badRequest("\(origin): must be a JSON object.") }
            self.faultRules.append(try FaultRule(AdminBody(object, origin: origin), id: "f\(index + 1)"))
        }
    }

    /// Reads `--init FILE`: a state document as `GET /_amplify-local/state` answers it, checked as a load checks it.
    public mutating func loadInitialState(fromFile path: String) throws(AmplifyError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw .badRequest("--init \(path): cannot read the file.") }
        do {
            let snapshot = try StateDocument.decode(Array(data))
            try snapshot.validate(quotas: self.quotas)
            self.initialState = snapshot
        } catch {
            throw .badRequest("--init \(path): \(error.message)")
        }
    }
}
