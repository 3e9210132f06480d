import AmplifyBuilds
import AmplifyCore
import AmplifyWire
import Foundation

extension AmplifyAPI {
    func createBranch(_ input: Wire.CreateBranchRequest, _ call: APICall) async throws -> Wire.CreateBranchResult {
        let now = self.clock.now()
        var branch = Branch(scope: call.scope, appId: input.appId, branchName: input.branchName, now: now)
        try branch.apply(Wire.UpdateBranchRequest(creating: input), now: now)
        branch.tags = input.tags ?? [:]
        try await self.store.createBranch(branch)
        return Wire.CreateBranchResult(branch: Wire.Branch(branch, call))
    }

    func getBranch(_ input: Wire.GetBranchRequest, _ call: APICall) async throws -> Wire.GetBranchResult {
        let branch = try await self.store.branch(call.scope, appId: input.appId, branchName: input.branchName)
        return Wire.GetBranchResult(branch: Wire.Branch(branch, call))
    }

    func listBranches(_ input: Wire.ListBranchesRequest, _ call: APICall) async throws -> Wire.ListBranchesResult {
        let page = try await self.store.listBranches(
            call.scope, appId: input.appId, after: try Self.pageToken(input.nextToken, list: .branches),
            limit: Self.pageSize(input.maxResults, default: 50)
        )
        return Wire.ListBranchesResult(branches: page.items.map { Wire.Branch($0, call) }, nextToken: page.nextToken)
    }

    func updateBranch(_ input: Wire.UpdateBranchRequest, _ call: APICall) async throws -> Wire.UpdateBranchResult {
        let now = self.clock.now()
        let branch = try await self.store.updateBranch(call.scope, appId: input.appId, branchName: input.branchName) { branch in
            try branch.apply(input, now: now)
        }
        return Wire.UpdateBranchResult(branch: Wire.Branch(branch, call))
    }

    func deleteBranch(_ input: Wire.DeleteBranchRequest, _ call: APICall) async throws -> Wire.DeleteBranchResult {
        let branch = try await self.store.deleteBranch(call.scope, appId: input.appId, branchName: input.branchName)
        self.runner.stopBuilds(of: call.scope, appId: branch.appId, branchName: branch.branchName)
        await self.runner.files.removeBranch(call.scope, appId: branch.appId, branchName: branch.branchName)
        return Wire.DeleteBranchResult(branch: Wire.Branch(branch, call))
    }
}
