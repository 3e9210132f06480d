import Foundation

/// The rules a branch's job sequence follows: ids count up and are never reused, one job at a time, and the
/// live site follows the job that published it.
extension Branch {
    /// The key the branch's next job gets.
    public var nextJobKey: JobKey {
        JobKey(scope: self.scope, appId: self.appId, branchName: self.branchName, jobId: self.totalNumberOfJobs + 1)
    }

    /// StartJob: the branch's next job, counted on the branch, unless the branch has a job in progress
    /// (`activeJobId`, LimitExceededException). `retried` is the job a RETRY names, if the branch has it.
    public mutating func startJob(_ request: JobRequest, app: App, retried: Job?, activeJobId: Int?, now: Date) throws(AmplifyError) -> Job {
        let job = try request.makeJob(app: app, branch: self, jobId: self.nextJobKey.jobId, retried: retried, now: now)
        if activeJobId != nil {
            throw .limitExceeded("The requested branch \(self.branchName) already have pending or running jobs")
        }
        self.count(job)
        return job
    }

    /// CreateDeployment (and StartDeployment from a `sourceUrl`): the branch's next job as a manual deployment,
    /// for apps without a repository and branches with no job in progress.
    public mutating func createDeployment(
        app: App, activeJobId: Int?, sourceUrl: String?, sourceUrlType: SourceUrlType?, now: Date
    ) throws(AmplifyError) -> Job {
        try Job.requireManualDeployable(app)
        if let activeJobId {
            throw Job.deploymentBusy(activeJobId)
        }
        let job = Job.deployment(key: self.nextJobKey, now: now, sourceUrl: sourceUrl, sourceUrlType: sourceUrlType)
        self.count(job)
        return job
    }

    private mutating func count(_ job: Job) {
        self.totalNumberOfJobs = job.key.jobId
        self.activeJobId = job.key.jobId
    }

    /// DeleteJob: the job must be finished; returns whether the branch's site went down with it (it was the live job).
    /// A deployment skew protection kept is served no more.
    public mutating func deleteJob(_ job: Job) throws(AmplifyError) -> Bool {
        try job.requireDeletable()
        self.skewProtectedJobs?.removeAll { $0 == job.key.jobId }
        guard self.liveJobId == job.key.jobId else { return false }
        self.liveJobId = nil
        return true
    }

    /// The end of a job's DEPLOY step: its site becomes the branch's, if the job is still running (a job stopped
    /// or failed meanwhile publishes nothing). Returns whether it went live.
    public mutating func publish(_ job: Job, now: Date) -> Bool {
        guard job.status == .running else { return false }
        self.liveJobId = job.key.jobId
        self.lastDeployTime = now
        self.keepForSkewProtection(job.key.jobId)
        return true
    }
}
