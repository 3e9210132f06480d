import AmplifyBuilds
import AmplifyCore
import AmplifyWire
import Foundation

/// The operations of the Amplify API: each reads its wire input, applies Core's rules through the
/// store, and answers with its wire output.
struct AmplifyAPI: Sendable {
    let store: any Store
    let runner: BuildRunner
    let clock: ServiceClock

    /// Runs one operation on a request that the router matched to it; returns the JSON body.
    func respond(to operation: WireOperation, _ request: WireRequest, _ call: APICall) async throws -> [UInt8] {
        switch operation {
        case .createApp: try await self.run(request, call, self.createApp)
        case .getApp: try await self.run(request, call, self.getApp)
        case .listApps: try await self.run(request, call, self.listApps)
        case .updateApp: try await self.run(request, call, self.updateApp)
        case .deleteApp: try await self.run(request, call, self.deleteApp)
        case .createBranch: try await self.run(request, call, self.createBranch)
        case .getBranch: try await self.run(request, call, self.getBranch)
        case .listBranches: try await self.run(request, call, self.listBranches)
        case .updateBranch: try await self.run(request, call, self.updateBranch)
        case .deleteBranch: try await self.run(request, call, self.deleteBranch)
        case .startJob: try await self.run(request, call, self.startJob)
        case .getJob: try await self.run(request, call, self.getJob)
        case .listJobs: try await self.run(request, call, self.listJobs)
        case .stopJob: try await self.run(request, call, self.stopJob)
        case .deleteJob: try await self.run(request, call, self.deleteJob)
        case .createWebhook: try await self.run(request, call, self.createWebhook)
        case .getWebhook: try await self.run(request, call, self.getWebhook)
        case .listWebhooks: try await self.run(request, call, self.listWebhooks)
        case .updateWebhook: try await self.run(request, call, self.updateWebhook)
        case .deleteWebhook: try await self.run(request, call, self.deleteWebhook)
        case .createBackendEnvironment: try await self.run(request, call, self.createBackendEnvironment)
        case .getBackendEnvironment: try await self.run(request, call, self.getBackendEnvironment)
        case .listBackendEnvironments: try await self.run(request, call, self.listBackendEnvironments)
        case .deleteBackendEnvironment: try await self.run(request, call, self.deleteBackendEnvironment)
        case .createDomainAssociation: try await self.run(request, call, self.createDomainAssociation)
        case .getDomainAssociation: try await self.run(request, call, self.getDomainAssociation)
        case .listDomainAssociations: try await self.run(request, call, self.listDomainAssociations)
        case .updateDomainAssociation: try await self.run(request, call, self.updateDomainAssociation)
        case .deleteDomainAssociation: try await self.run(request, call, self.deleteDomainAssociation)
        case .createDeployment: try await self.run(request, call, self.createDeployment)
        case .startDeployment: try await self.run(request, call, self.startDeployment)
        case .listArtifacts: try await self.run(request, call, self.listArtifacts)
        case .getArtifactUrl: try await self.run(request, call, self.getArtifactUrl)
        case .generateAccessLogs: try await self.run(request, call, self.generateAccessLogs)
        case .tagResource: try await self.run(request, call, self.tagResource)
        case .untagResource: try await self.run(request, call, self.untagResource)
        case .listTagsForResource: try await self.run(request, call, self.listTagsForResource)
        }
    }

    /// Decodes and validates the input against the model, then runs the operation.
    private func run<Input: WireInput, Output: WireJSONWritable>(
        _ request: WireRequest, _ call: APICall, _ operation: (Input, APICall) async throws -> Output
    ) async throws -> [UInt8] {
        let input = try Input.decode(request)
        let violations = input.violations()
        if !violations.isEmpty {
            throw AmplifyError.badRequest(Validator.message(for: violations))
        }
        return try await operation(input, call).jsonBytes()
    }

    /// The page size: the model allows 0, which means the default.
    static func pageSize(_ maxResults: Int?, default value: Int) -> Int {
        guard let maxResults, maxResults > 0 else { return value }
        return maxResults
    }

    static func pageToken(_ token: String?, list: PageToken.List) throws -> PageToken? {
        guard let token, !token.isEmpty else { return nil }
        return try PageToken(decoding: token, list: list)
    }
}
