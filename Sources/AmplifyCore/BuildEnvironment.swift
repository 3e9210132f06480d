import Foundation

/// The variables a build runs with, as AWS sets them: the build spec's `env.variables`, the app's environment
/// variables over them, the branch's over the app's, AWS's built-ins over all; then PATH (the spec's or the
/// console's, else the server's), HOME, LANG (on the host; in a container the image's) and CI.
public struct BuildEnvironment: Sendable {
    /// The app's environment variables with the branch's over them (what `_BUILD_TIMEOUT`, `_LIVE_UPDATES` and
    /// `AMPLIFY_MONOREPO_APP_ROOT` are read from).
    public var console: [String: String]
    /// The build's timeout in minutes (`_BUILD_TIMEOUT`).
    public var timeoutMinutes: Double

    public static let defaultTimeoutMinutes = 30.0
    public static let maximumTimeoutMinutes = 120.0

    public init(app: App, branch: Branch) {
        self.console = app.environmentVariables.merging(branch.environmentVariables) { _, branch in branch }
        self.timeoutMinutes = Self.timeoutMinutes(self.console["_BUILD_TIMEOUT"])
    }

    /// `_BUILD_TIMEOUT` in minutes: any positive number up to 120 (AWS's minimum of 5 is not enforced, so short
    /// timeouts can be tried locally); otherwise the default of 30.
    public static func timeoutMinutes(_ value: String?) -> Double {
        guard let value, let minutes = Double(value.trimmingCharacters(in: .whitespaces)), minutes > 0, minutes.isFinite else {
            return Self.defaultTimeoutMinutes
        }
        return min(minutes, Self.maximumTimeoutMinutes)
    }

    /// The timeout as `_BUILD_TIMEOUT` says it (`30`, `0.5`).
    public var timeoutText: String {
        self.timeoutMinutes == self.timeoutMinutes.rounded() ? String(Int(self.timeoutMinutes)) : String(self.timeoutMinutes)
    }

    /// The variables AWS sets in every build of job `jobId` (and in a pull request preview's, the pull request's).
    public func builtIns(app: App, branch: Branch, jobId: Int, commit: String) -> [String: String] {
        (branch.pullRequest?.environmentVariables ?? [:]).merging([
            "AWS_APP_ID": app.appId,
            "AWS_BRANCH": branch.branchName,
            "AWS_BRANCH_ARN": branch.arn,
            "AWS_CLONE_URL": app.repository ?? "",
            "AWS_COMMIT_ID": commit,
            "AWS_JOB_ID": String(repeating: "0", count: max(0, 10 - String(jobId).count)) + String(jobId),
            "AWS_REGION": app.scope.region,
            "AWS_DEFAULT_REGION": app.scope.region,
            "_BUILD_TIMEOUT": self.timeoutText,
        ]) { _, builtIn in builtIn }
    }

    /// Where a build's shell runs, which decides the variables the machine gives it.
    public enum Place: Sendable, Equatable {
        /// On the server's machine: its home folder `home`, and the server's PATH `hostPath`.
        case host(home: String, hostPath: String?)
        /// In a container of the build image, whose own HOME, PATH and LANG apply unless the build sets them.
        case image
    }

    /// The whole environment of a build whose spec sets `specVariables`, with `builtIns`, run at `place`.
    public func variables(specVariables: [String: String], builtIns: [String: String], place: Place) -> [String: String] {
        var environment = specVariables.merging(self.console) { _, console in console }
        environment.merge(builtIns) { _, builtIn in builtIn }
        if case .host(let home, let hostPath) = place {
            environment["PATH"] = environment["PATH"] ?? hostPath ?? SearchPath.standard
            environment["HOME"] = home
            environment["LANG"] = environment["LANG"] ?? "C.UTF-8"
        }
        environment["CI"] = "true"
        return environment
    }
}
