/// `AMPLIFY_MONOREPO_APP_ROOT`, which makes an app a monorepo app (as on AWS): the folder of the repository it builds,
/// and the `appRoot` that picks its entry of a monorepo build spec, `customHttp.yml` or `customHeaders`.
public enum MonorepoAppRoot {
    public static let variable = "AMPLIFY_MONOREPO_APP_ROOT"

    /// The app root of `branch` of `app` (the branch's variable over the app's), without leading or trailing
    /// slashes; nil when neither sets it, or sets it to nothing.
    public static func of(app: App, branch: Branch?) -> String? {
        self.of(app.environmentVariables.merging(branch?.environmentVariables ?? [:]) { _, branch in branch })
    }

    /// The app root in a build's `variables`.
    public static func of(_ variables: [String: String]) -> String? {
        guard let value = variables[Self.variable] else { return nil }
        let root = value.split(separator: "/").joined(separator: "/")
        return root.isEmpty ? nil : root
    }
}
