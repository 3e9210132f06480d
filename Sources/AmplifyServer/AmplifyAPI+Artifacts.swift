import AmplifyCore
import AmplifyWire
import Foundation

extension AmplifyAPI {
    /// ListArtifacts lists a job's end-to-end test artifacts (the model says so; build output is reached
    /// through the steps). Jobs here run no test phase yet, so a job that exists has none.
    func listArtifacts(_ input: Wire.ListArtifactsRequest, _ call: APICall) async throws -> Wire.ListArtifactsResult {
        _ = try await self.store.job(try Self.jobKey(call, input.appId, input.branchName, input.jobId))
        _ = try Self.pageToken(input.nextToken, list: .artifacts)
        return Wire.ListArtifactsResult(artifacts: [])
    }

    /// Artifact ids come from ListArtifacts, which has none to give yet: every id is unknown.
    func getArtifactUrl(_ input: Wire.GetArtifactUrlRequest, _ call: APICall) async throws -> Wire.GetArtifactUrlResult {
        throw AmplifyError.notFound("Artifact \(input.artifactId) not found.")
    }

    /// The access logs of the app's sites for a window of at most two weeks, as a CSV in CloudFront's
    /// column layout. The domain is the app's default domain (`<appId>.amplifyapp.com`) or one associated
    /// with it; every site of the app is served here on `*.localhost`, so each gives all the app's requests.
    func generateAccessLogs(_ input: Wire.GenerateAccessLogsRequest, _ call: APICall) async throws -> Wire.GenerateAccessLogsResult {
        let domain = input.domainName
        let end = input.endTime ?? self.clock.now()
        let start = input.startTime ?? end.addingTimeInterval(-3600)
        guard start <= end else { throw AmplifyError.badRequest("startTime must not be after endTime.") }
        guard end.timeIntervalSince(start) <= 14 * 24 * 3600 else {
            throw AmplifyError.badRequest("Access logs can be generated for a window of at most two weeks.")
        }
        let app = try await self.store.app(call.scope, appId: input.appId)
        if domain != app.defaultDomain {
            do {
                _ = try await self.store.domainAssociation(call.scope, appId: input.appId, domainName: domain)
            } catch let error as AmplifyError where error == .domainNotFound(domain) {
                throw AmplifyError.badRequest("Domain \(domain) is not associated with app \(input.appId).")
            }
        }
        let window = "start=\(Int(start.timeIntervalSince1970))&end=\(Int(end.timeIntervalSince1970))"
        let path = AdminPath.accessLogs(call.scope, appId: input.appId, domainName: domain)
        return Wire.GenerateAccessLogsResult(logUrl: call.signedURL("\(path)?\(window)"))
    }
}
