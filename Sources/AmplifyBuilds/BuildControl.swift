import AmplifyCore
import Foundation

/// What a test asked the next builds of an app (or of one of its branches) to do instead of what their build spec
/// says (`POST /_amplify-local/builds/control`): fail at a step, hold in a status until released, or take longer.
public struct BuildControl: Sendable, Equatable {
    public enum Action: Sendable, Equatable {
        /// The step fails as it begins (nothing of it runs), with `reason` on the step and in its log.
        case fail(step: String, reason: String)
        /// The job stays PROVISIONING or RUNNING until released (or stopped).
        case hold(JobStatus)
        /// The job waits this long once RUNNING, then builds as usual.
        case delay(seconds: Double)
    }

    public var scope: Scope
    public var appId: String
    /// Only this branch's builds; nil for every branch of the app.
    public var branchName: String?
    public var action: Action
    /// How many builds it still applies to.
    public var remaining: Int

    public init(scope: Scope, appId: String, branchName: String?, action: Action, count: Int) {
        self.scope = scope
        self.appId = appId
        self.branchName = branchName
        self.action = action
        self.remaining = count
    }

    func applies(to key: JobKey) -> Bool {
        self.remaining > 0 && key.scope == self.scope && key.appId == self.appId && (self.branchName.map { $0 == key.branchName } ?? true)
    }
}
