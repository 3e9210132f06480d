import AmplifyCore
import Foundation
import Synchronization

/// An app's rules and headers compiled once per version of the app (its `updateTime`).
final class SiteSettingsCache: Sendable {
    struct Settings: Sendable {
        var rules: [RedirectRule]
        var headers: CustomHeaders
    }

    private let entries = Mutex<[String: Settings]>([:])

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
}
