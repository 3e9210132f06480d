import AmplifyCore
import AmplifyProcess
import Foundation

extension BuildRunner {
    /// The builds' options, as the command line sets them (`--build-mode`, `--build-memory-mib`, `--node-versions`,
    /// …), with their defaults: the one place they are declared.
    public struct Configuration: Sendable {
        public var mode = BuildMode.auto
        /// Total time of a simulated build, in seconds.
        public var simulatedBuildSeconds = 1.0
        /// Builds that run at once; more wait in PENDING.
        public var maxConcurrentBuilds = 5
        /// How often the store is asked for jobs another writer queued, and leases are renewed.
        public var pollInterval: Duration = .seconds(1)
        /// The most log one step of a real build keeps.
        public var maxLogBytes = 64 * 1024 * 1024
        /// How long a stopped build's processes have between SIGTERM and SIGKILL.
        public var terminationGrace: Duration = .seconds(5)
        /// How long a claim lasts without being renewed, in seconds: a node silent that long is taken for dead.
        public var leaseSeconds = 30.0
        /// The most memory any build gets in MiB, below its compute type's (`--build-memory-mib`); nil for the type's.
        public var memoryMiB: Int? = nil
        /// The Node.js installations builds' `nvm` picks from (`--node-versions`, nvm's layout); nil for none.
        public var nodeVersions: String? = nil
        /// What a build does with a command that deploys the app's backend on AWS (`--backend-builds`).
        public var backendBuilds = BackendBuilds.fail
        /// The folders `file://` sources (a deployment's `sourceUrl`, a repository on this machine) may be read from
        /// (`--deploy-from`); none by default.
        public var deployFrom: [String] = []
        /// The image builds run in under podman when the app names none with `_CUSTOM_IMAGE` (`--build-image`); it also
        /// stands for Amplify's own (`_CUSTOM_IMAGE` amplify:al2023). Nil: builds that name no image run on the host.
        public var image: String? = nil

        public init() {}

        /// `memoryMiB` in bytes.
        var memoryCap: Int64? { self.memoryMiB.map { Int64($0) << 20 } }
    }

    /// What the server a runner works in gives it: where files go, who runs programs, what other parts hear of builds.
    public struct Context: Sendable {
        /// Where workspaces, artifacts and caches live.
        public var files: JobFiles
        /// Runs the builds' programs.
        public var launcher: any ProcessLauncher
        /// The server's environment: git clones with it; builds see only its PATH.
        public var hostEnvironment: [String: String] = [:]
        /// The most a manual deployment's zip may unpack to (its entries' declared sizes).
        public var maxSiteBytes: Int64 = 20_000_000_000
        /// The name this server's claims go under.
        public var node = "local"
        /// Whether other nodes build from the same store (PostgreSQL). Without, the jobs in progress at start-up are
        /// the previous run's and end at once; with, only those whose lease ran out.
        public var sharedStore = false
        /// The folders `file://` sources may be read from (`Configuration.deployFrom`, the server's own files kept out).
        public var sources = SourceFolders(allowed: [])
        /// The programs real builds need that this machine lacks (`BuildTools.missing`): mode `auto` simulates then.
        public var missingTools: [String] = []
        /// Told of each build this runner ended, as the store has it then (the server's metrics count them).
        public var buildEnded: @Sendable (Job) -> Void = { _ in }
        /// The secret values a job's build gets (the app's, its branch's over them), opened.
        public var secrets: @Sendable (JobKey) async throws -> [String: String] = { _ in [:] }
        /// Starts an SSR deployment's compute and waits until it answers (the compute supervisor).
        public var startCompute: @Sendable (ComputeDeployment) async throws -> String = { _ in
            throw JobProgress.Interruption.failed("This server runs no computes.")
        }

        public init(files: JobFiles = .temporary(), launcher: any ProcessLauncher) {
            self.files = files
            self.launcher = launcher
        }
    }
}
