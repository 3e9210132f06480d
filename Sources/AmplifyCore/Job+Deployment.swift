import Foundation

extension Job {
    /// A manual deployment's job: CREATED by CreateDeployment (PENDING at once when it comes from a
    /// `sourceUrl`), of type MANUAL, with no commit.
    public static func deployment(key: JobKey, now: Date, sourceUrl: String? = nil, sourceUrlType: SourceUrlType? = nil) -> Job {
        var job = Job(
            key: key, jobType: .manual, status: sourceUrl == nil ? .created : .pending, commitId: "", commitMessage: "",
            commitTime: now, startTime: now
        )
        job.sourceUrl = sourceUrl
        job.sourceUrlType = sourceUrl == nil ? nil : (sourceUrlType ?? .zip)
        return job
    }

    /// Manual deployments are for apps without a repository (the real service's words).
    public static func requireManualDeployable(_ app: App) throws(AmplifyError) {
        if app.hasRepository {
            throw .badRequest("Operation not supported. App is already connected a repository.")
        }
    }

    /// The real service's refusal while the branch's previous job is unfinished.
    public static func deploymentBusy(_ activeJobId: Int) -> AmplifyError {
        .limitExceeded(
            "The last job(deployment) \(activeJobId) was not finished, please wait until it finish or use StopJob operation "
                + "to cancel it before creating a new deployment."
        )
    }

    /// StartDeployment takes a job that CreateDeployment made and nothing has started yet.
    public mutating func startDeployment(at now: Date) throws(AmplifyError) {
        guard self.jobType == .manual, self.status == .created else {
            throw .badRequest("Job \(self.key.jobId) is not a deployment waiting to start: it is a \(self.jobType.rawValue) job, \(self.status.rawValue).")
        }
        do {
            try self.apply(.enqueue, at: now)
        } catch {
            throw .badRequest("Job \(self.key.jobId) cannot be started.")
        }
        self.startTime = now
    }
}
