import AmplifyCore
import AmplifyWire
import Foundation

extension AmplifyAPI {
    /// ListArtifacts lists a job's end-to-end test artifacts (the model says so; build output is reached
    /// through the steps). Jobs here run no test phase yet, so a job that exists has none.
    func listArtifacts(_ input: Wire.ListArtifactsRequest, _ call: APICall) async throws -> Wire.ListArtifactsResult {
        _ = try await self.store.job(try Self.jobKey(call, input.appId!, input.branchName!, input.jobId!))
        _ = try Self.pageToken(input.nextToken, list: "artifacts")
        return Wire.ListArtifactsResult(artifacts: [])
    }

    /// Artifact ids come from ListArtifacts, which has none to give yet: every id is unknown.
    func getArtifactUrl(_ input: Wire.GetArtifactUrlRequest, _ call: APICall) async throws -> Wire.GetArtifactUrlResult {
        throw AmplifyError.notFound("Artifact \(input.artifactId!) not found.")
    }

    /// The access logs of one of the app's domains for a window of at most two weeks, as a CSV in
    /// CloudFront's column layout. Sites are not served yet, so the CSV has its header and no rows.
    func generateAccessLogs(_ input: Wire.GenerateAccessLogsRequest, _ call: APICall) async throws -> Wire.GenerateAccessLogsResult {
        let domain = input.domainName!
        let end = input.endTime ?? self.clock.now()
        let start = input.startTime ?? end.addingTimeInterval(-3600)
        guard start <= end else { throw AmplifyError.badRequest("startTime must not be after endTime.") }
        guard end.timeIntervalSince(start) <= 14 * 24 * 3600 else {
            throw AmplifyError.badRequest("Access logs can be generated for a window of at most two weeks.")
        }
        do {
            _ = try await self.store.domainAssociation(call.scope, appId: input.appId!, domainName: domain)
        } catch let error as AmplifyError where error == .domainNotFound(domain) {
            throw AmplifyError.badRequest("Domain \(domain) is not associated with app \(input.appId!).")
        }
        let path = [call.scope.account, call.scope.region, input.appId!, domain].map { PercentEncoding.encode($0) }.joined(separator: "/")
        let window = "start=\(Int(start.timeIntervalSince1970))&end=\(Int(end.timeIntervalSince1970))"
        return Wire.GenerateAccessLogsResult(logUrl: "\(call.baseURL)\(AmplifyAPIMiddleware.adminPrefix)access-logs/\(path)?\(window)")
    }

    /// The columns of the access log CSV (CloudFront's standard log fields, as Amplify delivers them).
    static let accessLogHeader =
        "date,time,x-edge-location,sc-bytes,c-ip,cs-method,cs(Host),cs-uri-stem,sc-status,cs(Referer),cs(User-Agent),"
        + "cs-uri-query,cs(Cookie),x-edge-result-type,x-edge-request-id,x-host-header,cs-protocol,cs-bytes,time-taken,"
        + "x-forwarded-for,ssl-protocol,ssl-cipher,x-edge-response-result-type,cs-protocol-version,fle-status,"
        + "fle-encrypted-fields,c-port,time-to-first-byte,x-edge-detailed-result-type,sc-content-type,sc-content-len,"
        + "sc-range-start,sc-range-end\n"
}
