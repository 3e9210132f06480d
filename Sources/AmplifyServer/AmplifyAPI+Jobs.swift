import AmplifyBuilds
import AmplifyCore
import AmplifyWire
import Foundation
import Logging

extension AmplifyAPI {
    func startJob(_ input: Wire.StartJobRequest, _ call: APICall) async throws -> Wire.StartJobResult {
        let jobType = JobType(input.jobType)
        var retriedId: Int?
        if let jobId = input.jobId, jobType == .retry {
            guard let number = Int(jobId) else { throw AmplifyError.jobNotFound(jobId) }
            retriedId = number
        }
        let request = JobRequest(
            jobType: jobType, jobId: retriedId, jobReason: input.jobReason, commitId: input.commitId,
            commitMessage: input.commitMessage, commitTime: input.commitTime
        )
        try request.validate()
        let job = try await self.store.startJob(call.scope, appId: input.appId, branchName: input.branchName, request, now: self.clock.now())
        self.runner.wake()
        call.log(.info, "Started job", ["job.id": "\(job.key)"])
        return Wire.StartJobResult(jobSummary: Wire.JobSummary(job))
    }

    func getJob(_ input: Wire.GetJobRequest, _ call: APICall) async throws -> Wire.GetJobResult {
        let job = try await self.store.job(try Self.jobKey(call, input.appId, input.branchName, input.jobId))
        var steps = job.steps.map { Wire.Step($0, logUrl: Self.logURL(call, job.key, step: $0.stepName)) }
        if let test = steps.firstIndex(where: { $0.stepName == "TEST" }) {
            (steps[test].testArtifactsUrl, steps[test].testConfigUrl, steps[test].screenshots) = try await self.testStepLinks(job.key, call)
        }
        return Wire.GetJobResult(job: Wire.Job(summary: Wire.JobSummary(job), steps: steps))
    }

    func listJobs(_ input: Wire.ListJobsRequest, _ call: APICall) async throws -> Wire.ListJobsResult {
        let page = try await self.store.listJobs(
            call.scope, appId: input.appId, branchName: input.branchName,
            after: try Self.pageToken(input.nextToken, list: .jobs), limit: Self.pageSize(input.maxResults, default: 50)
        )
        return Wire.ListJobsResult(jobSummaries: page.items.map(Wire.JobSummary.init), nextToken: page.nextToken)
    }

    func stopJob(_ input: Wire.StopJobRequest, _ call: APICall) async throws -> Wire.StopJobResult {
        let key = try Self.jobKey(call, input.appId, input.branchName, input.jobId)
        let now = self.clock.now()
        let job = try await self.store.updateJob(key) { job in try job.stop(at: now) }
        self.runner.stop(key)
        return Wire.StopJobResult(jobSummary: Wire.JobSummary(job))
    }

    func deleteJob(_ input: Wire.DeleteJobRequest, _ call: APICall) async throws -> Wire.DeleteJobResult {
        let job = try await self.store.deleteFinishedJob(try Self.jobKey(call, input.appId, input.branchName, input.jobId))
        await self.runner.files.removeJob(job.key)
        call.log(.info, "Deleted job", ["job.id": "\(job.key)"])
        return Wire.DeleteJobResult(jobSummary: Wire.JobSummary(job))
    }

    /// A job id that passed the model's `[0-9]+` but is too large for any job is simply not found.
    static func jobKey(_ call: APICall, _ appId: String, _ branchName: String, _ jobId: String) throws -> JobKey {
        guard let number = Int(jobId) else { throw AmplifyError.jobNotFound(jobId) }
        return JobKey(scope: call.scope, appId: appId, branchName: branchName, jobId: number)
    }

    /// Where this server serves the log of a job's step.
    static func logURL(_ call: APICall, _ key: JobKey, step: String) -> String {
        call.signedURL(AdminPath.log(key, step: step))
    }
}
