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
    /// By site folder and deploy time (a branch deleted and made again reuses job numbers, never deploy times); nil
    /// when the deployment has no headers of its own.
    private let deployments = Mutex<[String: CustomHeaders?]>([:])

    func settings(for app: App) -> Settings {
        let key = "\(app.scope.account)/\(app.scope.region)/\(app.appId)@\(app.updateTime.timeIntervalSince1970)"
        if let cached = self.entries.withLock({ $0[key] }) { return cached }
        let settings = Settings(rules: app.customRules.map(RedirectRule.init), headers: CustomHeaders(yaml: app.customHeaders))
        self.entries.withLock { entries in
            if entries.count >= 1024 { entries.removeAll() }
            entries[key] = settings
        }
        return settings
    }

    /// The headers a deployment's `customHttp.yml` gave it (read from `file` the first time), or nil.
    func deploymentHeaders(site: String, deployedAt: Date?, file: () -> URL) -> CustomHeaders? {
        let key = "\(site)@\(deployedAt?.timeIntervalSince1970 ?? 0)"
        if let cached = self.deployments.withLock({ $0[key] }) { return cached }
        let headers = FileManager.default.contents(atPath: file().path).map { CustomHeaders(yaml: String(decoding: $0, as: UTF8.self)) }
        self.deployments.withLock { entries in
            if entries.count >= 1024 { entries.removeAll() }
            entries[key] = .some(headers)
        }
        return headers
    }
}
