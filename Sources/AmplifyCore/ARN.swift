/// The ARNs of Amplify resources, in the real service's formats.
public enum ARN {
    public static func app(_ scope: Scope, appId: String) -> String {
        "\(scope.arnPrefix)apps/\(appId)"
    }

    /// The branch name goes in raw: a `/` in it stays a `/`.
    public static func branch(_ scope: Scope, appId: String, branchName: String) -> String {
        "\(app(scope, appId: appId))/branches/\(branchName)"
    }

    /// The job id is zero-padded to 10 digits.
    public static func job(_ scope: Scope, appId: String, branchName: String, jobId: Int) -> String {
        "\(branch(scope, appId: appId, branchName: branchName))/jobs/\(paddedJobId(jobId))"
    }

    public static func paddedJobId(_ jobId: Int) -> String {
        let digits = String(jobId)
        return digits.count >= 10 ? digits : String(repeating: "0", count: 10 - digits.count) + digits
    }
}
