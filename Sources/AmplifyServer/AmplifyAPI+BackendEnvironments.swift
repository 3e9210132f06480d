import AmplifyCore
import AmplifyWire
import Foundation

extension AmplifyAPI {
    func createBackendEnvironment(
        _ input: Wire.CreateBackendEnvironmentRequest, _ call: APICall
    ) async throws -> Wire.CreateBackendEnvironmentResult {
        let environment = BackendEnvironment(
            scope: call.scope, appId: input.appId, environmentName: input.environmentName, stackName: input.stackName,
            deploymentArtifacts: input.deploymentArtifacts, now: self.clock.now()
        )
        try await self.store.createBackendEnvironment(environment)
        return Wire.CreateBackendEnvironmentResult(backendEnvironment: Wire.BackendEnvironment(environment))
    }

    func getBackendEnvironment(_ input: Wire.GetBackendEnvironmentRequest, _ call: APICall) async throws -> Wire.GetBackendEnvironmentResult {
        let environment = try await self.store.backendEnvironment(call.scope, appId: input.appId, environmentName: input.environmentName)
        return Wire.GetBackendEnvironmentResult(backendEnvironment: Wire.BackendEnvironment(environment))
    }

    func listBackendEnvironments(
        _ input: Wire.ListBackendEnvironmentsRequest, _ call: APICall
    ) async throws -> Wire.ListBackendEnvironmentsResult {
        let page = try await self.store.listBackendEnvironments(
            call.scope, appId: input.appId, environmentName: input.environmentName,
            after: try Self.pageToken(input.nextToken, list: .backendEnvironments), limit: Self.pageSize(input.maxResults, default: 50)
        )
        return Wire.ListBackendEnvironmentsResult(backendEnvironments: page.items.map(Wire.BackendEnvironment.init), nextToken: page.nextToken)
    }

    func deleteBackendEnvironment(
        _ input: Wire.DeleteBackendEnvironmentRequest, _ call: APICall
    ) async throws -> Wire.DeleteBackendEnvironmentResult {
        let environment = try await self.store.deleteBackendEnvironment(call.scope, appId: input.appId, environmentName: input.environmentName)
        return Wire.DeleteBackendEnvironmentResult(backendEnvironment: Wire.BackendEnvironment(environment))
    }
}

extension Wire.BackendEnvironment {
    init(_ environment: BackendEnvironment) {
        self.init(
            backendEnvironmentArn: environment.arn, environmentName: environment.environmentName, stackName: environment.stackName,
            deploymentArtifacts: environment.deploymentArtifacts, createTime: environment.createTime, updateTime: environment.updateTime
        )
    }
}
