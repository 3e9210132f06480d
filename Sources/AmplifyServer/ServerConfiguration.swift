import AmplifyBuilds
import AmplifyCore

/// Everything the server is told at start, filled at the edge from flags and `AMPLIFY_LOCAL_*` variables.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Where the SQLite database lives; nil keeps all state in memory.
    public var dataDirectory: String?
    public var buildMode: BuildMode
    public var simulatedBuildSeconds: Double
    public var maxConcurrentBuilds: Int
    public var quotas: Quotas

    public init(
        host: String = "127.0.0.1", port: Int = 4566, dataDirectory: String? = "./.amplify-local",
        buildMode: BuildMode = .auto, simulatedBuildSeconds: Double = 1, maxConcurrentBuilds: Int = 5, quotas: Quotas = Quotas()
    ) {
        self.quotas = quotas
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.buildMode = buildMode
        self.simulatedBuildSeconds = simulatedBuildSeconds
        self.maxConcurrentBuilds = maxConcurrentBuilds
    }
}
