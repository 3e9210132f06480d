import Foundation

/// A deployment whose compute runs: the job that deployed it, and its compute resource in the deployment's folder
/// (`compute/<name>/<entrypoint>`, run with Node.js).
public struct ComputeDeployment: Hashable, Sendable {
    public var key: JobKey
    /// The deployment's folder (its `deploy-manifest.json`, `static/`, `compute/`).
    public var folder: String
    public var resource: String
    public var entrypoint: String
    /// The runtime the manifest names (logged; the installed node runs it).
    public var runtime: String

    public init(key: JobKey, folder: String, resource: DeployManifest.ComputeResource) {
        self.key = key
        self.folder = folder
        self.resource = resource.name
        self.entrypoint = resource.entrypoint
        self.runtime = resource.runtime
    }

    /// The folder the compute runs in.
    public var workingDirectory: String { "\(self.folder)/compute/\(self.resource)" }

    public var deploymentId: String { self.key.deploymentId }

    /// What the compute's process gets, as on AWS: not the app's or branch's environment variables. `hostname` is the
    /// address it is reached on (`HOSTNAME`, which Next.js's `server.js` listens on): all of its own network
    /// namespace's, or the machine's loopback.
    public func environment(port: Int, hostname: String, path: String?) -> [String: String] {
        [
            "PORT": String(port), "HOSTNAME": hostname, "NODE_ENV": "production", "AWS_REGION": self.key.scope.region, "AWS_APP_ID": self.key.appId,
            "AWS_BRANCH": self.key.branchName, "AWS_AMPLIFY_DEPLOYMENT_ID": self.deploymentId,
            "PATH": path ?? SearchPath.standard, "HOME": self.workingDirectory, "LANG": "C.UTF-8",
        ]
    }
}
