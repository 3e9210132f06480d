import Foundation

/// A resource that can carry tags, named by its ARN: an app, a branch or a job.
public enum TaggedResource: Sendable, Equatable {
    case app(appId: String)
    case branch(appId: String, branchName: String)
    case job(JobKey)

    /// Reads an Amplify ARN of this scope; nil when it is not one of an app, branch or job here.
    ///
    /// Branch names may contain `/`, so a trailing `/jobs/<10 digits>` is read as a job of the branch.
    public init?(arn: String, scope: Scope) {
        guard arn.hasPrefix(scope.arnPrefix) else { return nil }
        let path = arn.dropFirst(scope.arnPrefix.count)
        guard path.hasPrefix("apps/") else { return nil }
        let rest = path.dropFirst("apps/".count)
        guard let slash = rest.firstIndex(of: "/") else {
            guard !rest.isEmpty else { return nil }
            self = .app(appId: String(rest))
            return
        }
        let appId = String(rest[..<slash])
        let afterApp = rest[slash...]
        guard afterApp.hasPrefix("/branches/") else { return nil }
        let branchPart = afterApp.dropFirst("/branches/".count)
        if let jobs = branchPart.range(of: "/jobs/", options: .backwards) {
            let digits = branchPart[jobs.upperBound...]
            if digits.count == 10, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let jobId = Int(digits),
                jobs.lowerBound > branchPart.startIndex
            {
                self = .job(JobKey(scope: scope, appId: appId, branchName: String(branchPart[..<jobs.lowerBound]), jobId: jobId))
                return
            }
        }
        guard !branchPart.isEmpty else { return nil }
        self = .branch(appId: appId, branchName: String(branchPart))
    }
}
