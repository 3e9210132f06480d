import AmplifyBuilds
import AmplifyCore
import AmplifyWire
import Foundation

extension AmplifyAPI {
    func createDeployment(_ input: Wire.CreateDeploymentRequest, _ call: APICall) async throws -> Wire.CreateDeploymentResult {
        let job = try await self.store.createDeployment(
            call.scope, appId: input.appId, branchName: input.branchName, sourceUrl: nil, sourceUrlType: nil, now: self.clock.now()
        )
        let base = AdminPath.upload(job.key)
        var fileUploadUrls: [String: String] = [:]
        for name in (input.fileMap ?? [:]).keys {
            fileUploadUrls[name] = call.signedURL("\(base)/files/\(PercentEncoding.encode(name))")
        }
        return Wire.CreateDeploymentResult(jobId: String(job.key.jobId), fileUploadUrls: fileUploadUrls, zipUploadUrl: call.signedURL("\(base)/zip"))
    }

    func startDeployment(_ input: Wire.StartDeploymentRequest, _ call: APICall) async throws -> Wire.StartDeploymentResult {
        let now = self.clock.now()
        let job: Job
        if let jobId = input.jobId {
            let key = try Self.jobKey(call, input.appId, input.branchName, jobId)
            job = try await self.store.updateJob(key) { job in try job.startDeployment(at: now) }
        } else if let sourceUrl = input.sourceUrl {
            try self.requireReadable(sourceUrl)
            job = try await self.store.createDeployment(
                call.scope, appId: input.appId, branchName: input.branchName, sourceUrl: sourceUrl,
                sourceUrlType: input.sourceUrlType.map(SourceUrlType.init), now: now
            )
        } else {
            throw AmplifyError.badRequest("Must specify jobId or sourceUrl for StartDeploymentRequest.")
        }
        self.runner.wake()
        return Wire.StartDeploymentResult(jobSummary: Wire.JobSummary(job))
    }

    /// A `file://` sourceUrl names a folder `--deploy-from` allows, or the call is refused and nothing is made: on AWS
    /// a source is an S3 location or a public URL, never the service's own disk; here it is the machine's, so only
    /// where the person running the server said. The deployment checks again when it runs (links may change).
    private func requireReadable(_ sourceUrl: String) throws(AmplifyError) {
        guard let url = URL(string: sourceUrl), url.scheme?.lowercased() == "file" else { return }
        let path = RepositoryLocation.localPath(sourceUrl) ?? url.path
        if case .refused(let reason) = self.runner.sources.check(path, as: "The sourceUrl \(sourceUrl)", holdingAllowed: false) {
            throw .badRequest(reason)
        }
    }
}
