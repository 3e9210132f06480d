import Foundation

extension Store {
    /// Everything the scope holds (only app `appId`, when given), read list by list: `GET /_amplify-local/state`.
    /// The reads are not one transaction: a write that lands meanwhile may show in part.
    public func snapshot(_ scope: Scope, appId: String? = nil) async throws -> StateSnapshot {
        let apps: [App]
        if let appId {
            apps = [try await self.app(scope, appId: appId)]
        } else {
            apps = try await Self.all(.apps) { try await self.listApps(scope, after: $0, limit: 100) }
        }
        var snapshot = StateSnapshot()
        for app in apps {
            var state = StateSnapshot.AppState(app: app)
            for branch in try await Self.all(.branches, { try await self.listBranches(scope, appId: app.appId, after: $0, limit: 50) }) {
                var branchState = StateSnapshot.BranchState(branch: branch)
                let summaries = try await Self.all(.jobs) { try await self.listJobs(scope, appId: app.appId, branchName: branch.branchName, after: $0, limit: 50) }
                for summary in summaries.reversed() {
                    let job = try await self.job(summary.key)
                    branchState.jobs.append(StateSnapshot.JobState(job: job, tags: try await self.tags(scope, of: .job(summary.key))))
                }
                state.branches.append(branchState)
            }
            state.webhooks = try await Self.all(.webhooks) { try await self.listWebhooks(scope, appId: app.appId, after: $0, limit: 50) }
            state.domainAssociations = try await Self.all(.domains) {
                try await self.listDomainAssociations(scope, appId: app.appId, after: $0, limit: 50)
            }
            state.backendEnvironments = try await Self.all(.backendEnvironments) {
                try await self.listBackendEnvironments(scope, appId: app.appId, environmentName: nil, after: $0, limit: 50)
            }
            snapshot.apps.append(state)
        }
        return snapshot
    }

    /// Every page of a list.
    private static func all<Item>(_ list: PageToken.List, _ page: (PageToken?) async throws -> Page<Item>) async throws -> [Item] {
        var items: [Item] = []
        var token: PageToken?
        repeat {
            let next = try await page(token)
            items += next.items
            token = try next.nextToken.map { try PageToken(decoding: $0, list: list) }
        } while token != nil
        return items
    }
}
