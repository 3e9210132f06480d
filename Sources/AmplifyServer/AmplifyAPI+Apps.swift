import AmplifyBuilds
import AmplifyCore
import AmplifyWire
import Foundation
import Logging

extension AmplifyAPI {
    func createApp(_ input: Wire.CreateAppRequest, _ call: APICall) async throws -> Wire.CreateAppResult {
        let now = self.clock.now()
        var app = App(scope: call.scope, appId: AppID.generate(), name: input.name, now: now)
        try app.apply(Wire.UpdateAppRequest(creating: input), now: now)
        app.fillAutoBranchCreationConfig()
        app.tags = input.tags ?? [:]
        try await self.store.createApp(app)
        call.log(.info, "Created app", ["app.id": "\(app.appId)"])
        return Wire.CreateAppResult(app: Wire.App(app, call))
    }

    func getApp(_ input: Wire.GetAppRequest, _ call: APICall) async throws -> Wire.GetAppResult {
        Wire.GetAppResult(app: Wire.App(try await self.store.app(call.scope, appId: input.appId), call))
    }

    func listApps(_ input: Wire.ListAppsRequest, _ call: APICall) async throws -> Wire.ListAppsResult {
        let page = try await self.store.listApps(
            call.scope, after: try Self.pageToken(input.nextToken, list: .apps), limit: Self.pageSize(input.maxResults, default: 100)
        )
        return Wire.ListAppsResult(apps: page.items.map { Wire.App($0, call) }, nextToken: page.nextToken)
    }

    func updateApp(_ input: Wire.UpdateAppRequest, _ call: APICall) async throws -> Wire.UpdateAppResult {
        let now = self.clock.now()
        let app = try await self.store.updateApp(call.scope, appId: input.appId) { app in
            try app.apply(input, now: now)
        }
        return Wire.UpdateAppResult(app: Wire.App(app, call))
    }

    func deleteApp(_ input: Wire.DeleteAppRequest, _ call: APICall) async throws -> Wire.DeleteAppResult {
        let app = try await self.store.deleteApp(call.scope, appId: input.appId)
        self.runner.stopBuilds(of: call.scope, appId: app.appId)
        await self.runner.files.removeApp(call.scope, appId: app.appId)
        call.log(.info, "Deleted app", ["app.id": "\(app.appId)"])
        return Wire.DeleteAppResult(app: Wire.App(app, call))
    }
}
