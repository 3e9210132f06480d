import Foundation

/// A job of a branch: a build (RELEASE, RETRY, WEB_HOOK) or a manual deployment (MANUAL).
public struct Job: Codable, Sendable, Equatable {
    public var key: JobKey
    public var jobType: JobType
    public var status: JobStatus
    public var commitId: String
    public var commitMessage: String
    public var commitTime: Date
    public var startTime: Date
    public var endTime: Date?
    public var jobReason: String?
    public var sourceUrl: String?
    public var sourceUrlType: SourceUrlType?
    /// Why the job ended as it did, when it did not succeed.
    public var statusReason: String?
    public var steps: [JobStep]

    public init(
        key: JobKey, jobType: JobType, status: JobStatus = .pending, commitId: String, commitMessage: String,
        commitTime: Date, startTime: Date, jobReason: String? = nil
    ) {
        self.key = key
        self.jobType = jobType
        self.status = status
        self.commitId = commitId
        self.commitMessage = commitMessage
        self.commitTime = commitTime
        self.startTime = startTime
        self.jobReason = jobReason
        self.steps = []
    }

    public var arn: String {
        ARN.job(self.key.scope, appId: self.key.appId, branchName: self.key.branchName, jobId: self.key.jobId)
    }
}
