import AmplifyCore
import Foundation
import Synchronization

/// An app's rules and headers compiled once per version of the app (its `updateTime`), and the headers a deployment's
/// `customHttp.yml` gave it, read once per deployment.
final class SiteSettingsCache: Sendable {
    struct Settings: Sendable {
        var rules: [RedirectRule]
        var headers: CustomHeaders
    }

    private let entries = Mutex<[String: Settings]>([:])
    /// What a deployment carries besides its files: the headers its build's `customHttp.yml` gave it, and its
    /// `deploy-manifest.json` (an SSR deployment); each nil when it has none.
    struct Deployment: Sendable {
        var headers: CustomHeaders?
        var manifest: DeployManifest?
    }

    /// By site folder and deploy time (a branch deleted and made again reuses job numbers, never deploy times).
    private let deployments = Mutex<[String: Deployment]>([:])

    /// The app's settings for `branch`, whose app root picks the app's headers when they are in the monorepo form.
    func settings(for app: App, branch: Branch) -> Settings {
        let appRoot = MonorepoAppRoot.of(app: app, branch: branch)
        let key = "\(app.scope.account)/\(app.scope.region)/\(app.appId)@\(app.updateTime.timeIntervalSince1970)/\(appRoot ?? "")"
        if let cached = self.entries.withLock({ $0[key] }) { return cached }
        let settings = Settings(rules: app.customRules.map(RedirectRule.init), headers: CustomHeaders(yaml: app.customHeaders, appRoot: appRoot))
        self.entries.withLock { entries in
            if entries.count >= 1024 { entries.removeAll() }
            entries[key] = settings
        }
        return settings
    }

    /// What the deployment in `site` carries (read the first time: the headers from `headersFile`, the manifest from
    /// the site's folder).
    func deployment(site: String, deployedAt: Date?, headersFile: () -> URL) -> Deployment {
        let key = "\(site)@\(deployedAt?.timeIntervalSince1970 ?? 0)"
        if let cached = self.deployments.withLock({ $0[key] }) { return cached }
        let deployment = Deployment(
            headers: FileManager.default.contents(atPath: headersFile().path).map { CustomHeaders(yaml: String(decoding: $0, as: UTF8.self)) },
            manifest: FileManager.default.contents(atPath: site + "/" + DeployManifest.fileName).flatMap { try? DeployManifest(json: $0) }
        )
        self.deployments.withLock { entries in
            if entries.count >= 1024 { entries.removeAll() }
            entries[key] = deployment
        }
        return deployment
    }
}
