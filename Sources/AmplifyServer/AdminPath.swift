import AmplifyCore
import AmplifyWire
import Hummingbird

/// The paths of the server's own endpoints, under `/_amplify-local/`: the routes `AdminRoutes` serves and the
/// URLs the API hands out for them are made here, in one place.
enum AdminPath {
    /// The route group, and the prefix every admin path starts with (the API leaves such requests alone).
    static let group = "_amplify-local"
    static let prefix = "/\(group)/"

    // Routes, relative to the group.
    static let groupRoute = RouterPath(stringLiteral: group)
    static let healthRoute: RouterPath = "health"
    static let resetRoute: RouterPath = "reset"
    static let logRoute: RouterPath = "logs/:account/:region/:appId/:branchName/:jobId/:step"
    static let zipUploadRoute: RouterPath = "uploads/:account/:region/:appId/:branchName/:jobId/zip"
    static let fileUploadRoute: RouterPath = "uploads/:account/:region/:appId/:branchName/:jobId/files/:name"
    static let accessLogRoute: RouterPath = "access-logs/:account/:region/:appId/:domainName"
    static let thumbnailRoute: RouterPath = "thumbnails/:account/:region/:appId/:branchName"
    static let faultsRoute: RouterPath = "faults"
    static let faultRoute: RouterPath = "faults/:id"
    static let buildControlRoute: RouterPath = "builds/control"
    static let domainControlRoute: RouterPath = "domains/control"
    static let stateRoute: RouterPath = "state"
    static let metricsRoute: RouterPath = "metrics"
    static let gitRoute: RouterPath = "git/:appId"
    static let appSecretsRoute: RouterPath = "secrets/:appId"
    static let secretsSecondRoute: RouterPath = "secrets/:appId/:second"
    static let branchSecretRoute: RouterPath = "secrets/:appId/:second/:name"
    static let computeOutputRoute: RouterPath = "computes/:appId/:branchName/output"
    static let explainRoute: RouterPath = "explain"
    static let testArtifactRoute: RouterPath = "test-artifacts/:account/:region/:appId/:branchName/:jobId/:file"

    /// A job's test artifact by its id, or `artifacts.zip` of them all (`testArtifactRoute`).
    static func testArtifact(_ key: JobKey, file: String) -> String {
        self.path("test-artifacts", [key.scope.account, key.scope.region, key.appId, key.branchName, String(key.jobId), file])
    }

    /// Where a git host sends an app's push and pull request events (`gitRoute`).
    static func git(_ scope: Scope, appId: String) -> String {
        let query = scope == Scope(account: Scope.defaultAccount, region: Scope.defaultRegion)
            ? "" : "?account=\(PercentEncoding.encode(scope.account))&region=\(PercentEncoding.encode(scope.region))"
        return "\(self.prefix)git/\(PercentEncoding.encode(appId))\(query)"
    }

    /// The log of a job's step (`logRoute`).
    static func log(_ key: JobKey, step: String) -> String {
        self.path("logs", [key.scope.account, key.scope.region, key.appId, key.branchName, String(key.jobId), step])
    }

    /// Where a deployment's zip (`…/zip`) and files (`…/files/<name>`) are PUT.
    static func upload(_ key: JobKey) -> String {
        self.path("uploads", [key.scope.account, key.scope.region, key.appId, key.branchName, String(key.jobId)])
    }

    /// The access logs of an app's domain (`accessLogRoute`).
    static func accessLogs(_ scope: Scope, appId: String, domainName: String) -> String {
        self.path("access-logs", [scope.account, scope.region, appId, domainName])
    }

    /// A live branch's thumbnail (`thumbnailRoute`).
    static func thumbnail(_ scope: Scope, appId: String, branchName: String) -> String {
        self.path("thumbnails", [scope.account, scope.region, appId, branchName])
    }

    private static func path(_ kind: String, _ segments: [String]) -> String {
        "\(self.prefix)\(kind)/" + segments.map { PercentEncoding.encode($0) }.joined(separator: "/")
    }
}
