import AmplifyBuilds
import AmplifyCore
import AmplifyWire
import Foundation

extension AmplifyAPI {
    /// ListArtifacts lists the files a job's TEST step collected (`test.artifacts`), in the order they were collected.
    func listArtifacts(_ input: Wire.ListArtifactsRequest, _ call: APICall) async throws -> Wire.ListArtifactsResult {
        let page = try await self.store.testArtifacts(
            try Self.jobKey(call, input.appId, input.branchName, input.jobId), kinds: TestArtifact.listed,
            after: try Self.pageToken(input.nextToken, list: .artifacts), limit: Self.pageSize(input.maxResults, default: 50)
        )
        return Wire.ListArtifactsResult(
            artifacts: page.items.map { Wire.Artifact(artifactFileName: $0.fileName, artifactId: $0.artifactId) }, nextToken: page.nextToken
        )
    }

    /// A signed URL that downloads one test artifact.
    func getArtifactUrl(_ input: Wire.GetArtifactUrlRequest, _ call: APICall) async throws -> Wire.GetArtifactUrlResult {
        let (key, artifact) = try await self.store.testArtifact(call.scope, artifactId: input.artifactId)
        guard artifact.kind != .config else { throw AmplifyError.artifactNotFound(input.artifactId) }
        return Wire.GetArtifactUrlResult(artifactId: artifact.artifactId, artifactUrl: call.signedURL(AdminPath.testArtifact(key, file: artifact.artifactId)))
    }

    /// The TEST step's links: the zip of its artifacts, its report (`configFilePath`) and its screenshots by name.
    func testStepLinks(_ key: JobKey, _ call: APICall) async throws -> (artifacts: String?, config: String?, screenshots: [String: String]?) {
        let files = try await self.store.testArtifacts(key, kinds: [.screenshot, .config], after: nil, limit: Self.maxScreenshots).items
        let zip = (try? await self.runner.files.sites.has(self.runner.files.sites.testArtifactsZip(key))) ?? false
        let config = files.first { $0.kind == .config }
        var screenshots: [String: String] = [:]
        for file in files where file.kind == .screenshot {
            screenshots[file.fileName] = call.signedURL(AdminPath.testArtifact(key, file: file.artifactId))
        }
        return (
            zip ? call.signedURL(AdminPath.testArtifact(key, file: "artifacts.zip")) : nil,
            config.map { call.signedURL(AdminPath.testArtifact(key, file: $0.artifactId)) },
            screenshots.isEmpty ? nil : screenshots
        )
    }

    /// The most screenshots a TEST step shows in GetJob (ListArtifacts lists every one).
    static let maxScreenshots = 100

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
