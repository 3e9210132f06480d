import Foundation

/// What StartJob asks for, after the wire input passed the model's constraints.
public struct JobRequest: Sendable, Equatable {
    public var jobType: JobType
    public var jobId: Int?
    public var jobReason: String?
    public var commitId: String?
    public var commitMessage: String?
    public var commitTime: Date?

    public init(
        jobType: JobType, jobId: Int? = nil, jobReason: String? = nil, commitId: String? = nil,
        commitMessage: String? = nil, commitTime: Date? = nil
    ) {
        self.jobType = jobType
        self.jobId = jobId
        self.jobReason = jobReason
        self.commitId = commitId
        self.commitMessage = commitMessage
        self.commitTime = commitTime
    }

    /// The job a RETRY builds again, whose commit the new job takes.
    public var retriedJobId: Int? { self.jobType == .retry ? self.jobId : nil }

    /// The checks that need no stored state: MANUAL comes from deployments only, RETRY names a job.
    public func validate() throws(AmplifyError) {
        switch self.jobType {
        case .manual:
            throw .badRequest("The requested jobType MANUAL does not support.")
        case .retry where self.jobId == nil:
            throw .badRequest("jobId is required when jobType is RETRY.")
        default:
            break
        }
    }

    /// The new job number `jobId` of `branch`, following the rules of StartJob.
    ///
    /// RELEASE and WEB_HOOK build the branch's latest commit and need an app with a repository;
    /// RETRY builds the commit of the job it retries (`retried`).
    public func makeJob(app: App, branch: Branch, jobId: Int, retried: Job?, now: Date) throws(AmplifyError) -> Job {
        try self.validate()
        let key = JobKey(scope: branch.scope, appId: branch.appId, branchName: branch.branchName, jobId: jobId)
        switch self.jobType {
        case .release, .webHook:
            guard app.hasRepository else {
                throw .badRequest("The requested jobType \(self.jobType.rawValue) is only available for apps connected to a repository.")
            }
            return Job(
                key: key, jobType: self.jobType, commitId: self.commitId ?? "HEAD", commitMessage: self.commitMessage ?? "",
                commitTime: self.commitTime ?? now, startTime: now, jobReason: self.jobReason
            )
        case .retry:
            guard let retried else { throw .jobNotFound(String(self.jobId ?? 0)) }
            var job = Job(
                key: key, jobType: .retry, commitId: retried.commitId, commitMessage: retried.commitMessage,
                commitTime: retried.commitTime, startTime: now, jobReason: self.jobReason
            )
            job.sourceUrl = retried.sourceUrl
            job.sourceUrlType = retried.sourceUrlType
            return job
        case .manual:
            throw .badRequest("The requested jobType MANUAL does not support.")
        }
    }
}
