import AmplifyBuilds
import AmplifyCore
import Foundation
import Hummingbird
import Logging

/// The admin endpoints for test suites: fault rules, build and domain outcomes, and the whole state as one document.
/// They act on one account and region: the signer's under `--auth strict` (a signed request is required), else the
/// request credential's when there is one, else `?account=&region=`, else `000000000000` / `us-east-1`.
extension AdminRoutes {
    func addTestingRoutes(to group: RouterGroup<AmplifyRequestContext>) {
        self.addFaultRoutes(to: group)
        self.addControlRoutes(to: group)
        self.addStateRoutes(to: group)
    }

    /// Fault rules: added, listed, removed all or one.
    private func addFaultRoutes(to group: RouterGroup<AmplifyRequestContext>) {
        // Fault rules are global, but under --auth strict a tenant's are its own: pinned to the signer's account and
        // region when added, and only those are listed and removed, so no tenant can fail or slow another's requests.
        group.post(AdminPath.faultsRoute) { request, context in
            let (scope, body) = try await self.authorize(request, context)
            let admin = try AdminBody(body)
            var generator = SystemRandomNumberGenerator()
            var rule = try FaultRule(admin, id: "f" + String(generator.next() >> 24, radix: 36))
            if self.configuration.auth == .strict {
                if let account = rule.account, account != scope.account {
                    throw admin.fail("account", "under --auth strict a rule matches only the signer's account, \(scope.account).")
                }
                if let region = rule.region, region != scope.region {
                    throw admin.fail("region", "under --auth strict a rule matches only the signature's region, \(scope.region).")
                }
                (rule.account, rule.region) = (scope.account, scope.region)
            }
            return try Self.json(self.faults.add(rule))
        }
        group.get(AdminPath.faultsRoute) { request, context in
            let (scope, _) = try await self.authorize(request, context)
            let rules = self.faults.list()
            return try Self.json(["rules": self.configuration.auth == .strict ? rules.filter { Self.faultRule($0, belongsTo: scope) } : rules])
        }
        group.delete(AdminPath.faultsRoute) { request, context in
            let (scope, _) = try await self.authorize(request, context)
            if self.configuration.auth == .strict {
                _ = self.removeFaultRules(of: scope)
            } else {
                self.faults.removeAll()
            }
            return try Self.json(["deleted": "all"])
        }
        group.delete(AdminPath.faultRoute) { request, context in
            let (scope, _) = try await self.authorize(request, context)
            let id = try Self.parameter(context, "id")
            let mine = self.configuration.auth != .strict
                || self.faults.list().contains { $0["id"] as? String == id && Self.faultRule($0, belongsTo: scope) }
            guard mine, self.faults.remove(id: id) else { throw AmplifyError.notFound("Fault rule \(id) not found.") }
            return try Self.json(["deleted": id])
        }
    }

    /// What builds and domain associations do next (their outcomes and timing), set by a test.
    private func addControlRoutes(to group: RouterGroup<AmplifyRequestContext>) {
        group.post(AdminPath.buildControlRoute) { request, context in
            let (scope, body) = try await self.authorize(request, context)
            return try Self.json(try await self.controlBuilds(scope, AdminBody(body)))
        }
        group.post(AdminPath.domainControlRoute) { request, context in
            let (scope, body) = try await self.authorize(request, context)
            return try Self.json(try await self.controlDomain(scope, AdminBody(body)))
        }
    }

    /// The account and region's whole state as one document: read, and loaded into an empty one.
    private func addStateRoutes(to group: RouterGroup<AmplifyRequestContext>) {
        group.get(AdminPath.stateRoute) { request, context in
            let (scope, _) = try await self.authorize(request, context)
            let appId = request.uri.queryParameters["appId"].map(String.init)
            let snapshot = try await self.store.snapshot(scope, appId: appId)
            return Response(
                status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try StateDocument.encode(snapshot)))
            )
        }
        group.post(AdminPath.stateRoute) { request, context in
            let (scope, body) = try await self.authorize(request, context)
            let snapshot = try StateDocument.decode(body).moved(to: scope)
            try await self.store.load(snapshot, skipIfHeld: false)
            self.runner.wake()
            return try Self.json(["loaded": snapshot.apps.count])
        }
    }

    /// Whether a rule, as listed, is pinned to exactly this account and region (what a tenant's rules are under strict).
    static func faultRule(_ listed: [String: Any], belongsTo scope: Scope) -> Bool {
        listed["account"] as? String == scope.account && listed["region"] as? String == scope.region
    }

    /// Removes the rules pinned to the account and region; returns how many.
    func removeFaultRules(of scope: Scope) -> Int {
        let ids = self.faults.list().filter { Self.faultRule($0, belongsTo: scope) }.compactMap { $0["id"] as? String }
        return ids.filter { self.faults.remove(id: $0) }.count
    }

    /// The request's body and the account and region it acts on (see above); under `--auth strict`, only with a valid
    /// signature (soft: a bad one is logged and let through).
    func authorize(_ request: Request, _ context: AmplifyRequestContext) async throws -> (Scope, [UInt8]) {
        var request = request
        let body = Array(try await request.collectBody(upTo: 64 * 1024 * 1024).readableBytesView)
        if self.configuration.auth != .off {
            do {
                return (try self.verifier.verify(request, body: body, now: self.clock.now()), body)
            } catch {
                self.metrics?.signatureRefused()
                guard self.configuration.auth == .soft else { throw error }
                context.logger.warning("Admin request signature refused (auth soft: let through)", metadata: ["error": "\(error)"])
            }
        }
        if request.headers[.authorization] != nil || request.uri.queryParameters["X-Amz-Credential"] != nil {
            return (AmplifyAPIMiddleware.scope(of: request), body)
        }
        let query = request.uri.queryParameters
        return (Scope(account: query["account"].map(String.init) ?? Scope.defaultAccount, region: query["region"].map(String.init) ?? Scope.defaultRegion), body)
    }

    /// `POST builds/control`: FAIL, HOLD or DELAY the next builds of an app or branch, or RELEASE a held job.
    private func controlBuilds(_ scope: Scope, _ body: AdminBody) async throws -> [String: Any] {
        try body.requireOnly(["appId", "branchName", "action", "step", "reason", "status", "seconds", "count", "jobId"])
        let appId = try body.requiredString("appId")
        let branchName = try body.string("branchName")
        guard let action = try body.choice("action", ["FAIL", "HOLD", "DELAY", "RELEASE"]) else { throw body.fail("action", "is required: FAIL, HOLD, DELAY or RELEASE.") }
        if action == "RELEASE" {
            guard let branchName else { throw body.fail("branchName", "is required to RELEASE a job.") }
            guard let jobId = try body.jobId("jobId") else { throw body.fail("jobId", "is required to RELEASE a job: the held job's id.") }
            _ = try await self.store.app(scope, appId: appId)
            let key = JobKey(scope: scope, appId: appId, branchName: branchName, jobId: jobId)
            guard self.runner.controls.release(key) else { throw AmplifyError.notFound("Job \(jobId) of branch \(branchName) is not held.") }
            return ["released": String(jobId)]
        }
        let count = try body.integer("count", atLeast: 1) ?? 1
        let control: BuildControl.Action
        switch action {
        case "FAIL":
            let step = try body.choice("step", ["BUILD", "DEPLOY", "VERIFY"]) ?? "BUILD"
            control = .fail(step: step, reason: try body.string("reason") ?? "The \(step) step failed on purpose.")
        case "HOLD":
            let status = try body.choice("status", ["PROVISIONING", "RUNNING"]) ?? "RUNNING"
            control = .hold(status == "RUNNING" ? .running : .provisioning)
        default:
            guard let seconds = try body.number("seconds", in: 0...3600) else { throw body.fail("seconds", "is required to DELAY: 0 to 3600.") }
            control = .delay(seconds: seconds)
        }
        _ = try await self.store.app(scope, appId: appId)
        self.runner.controls.add(BuildControl(scope: scope, appId: appId, branchName: branchName, action: control, count: count))
        var answer: [String: Any] = ["appId": appId, "action": action, "count": count]
        answer["branchName"] = branchName
        return answer
    }

    /// `POST domains/control`: a domain association stops at a status, or ends FAILED with a reason; now if it exists,
    /// else when it is created.
    private func controlDomain(_ scope: Scope, _ body: AdminBody) async throws -> [String: Any] {
        try body.requireOnly(["appId", "domainName", "status", "reason", "stopAt"])
        let appId = try body.requiredString("appId")
        let domainName = try body.requiredString("domainName")
        let outcome: DomainAssociation.Outcome
        if let stopAt = try body.choice("stopAt", DomainAssociation.Phase.allCases.filter { $0 != .failed }.map(\.rawValue)) {
            guard !body.has("status") else { throw body.fail("status", "give either stopAt or status FAILED, not both.") }
            outcome = .stopAt(DomainAssociation.Phase(rawValue: stopAt) ?? .available)
        } else if try body.choice("status", ["FAILED"]) != nil {
            outcome = .failed(reason: try body.requiredString("reason"))
        } else {
            throw body.fail("stopAt", "give stopAt (a status to stop at) or status FAILED with a reason.")
        }
        _ = try await self.store.app(scope, appId: appId)
        do {
            _ = try await self.store.updateDomainAssociation(scope, appId: appId, domainName: domainName) { $0.outcome = outcome }
            return ["appId": appId, "domainName": domainName, "applies": "now"]
        } catch let error as AmplifyError where error == .domainNotFound(domainName) {
            self.domainControls.set(outcome, scope: scope, appId: appId, domainName: domainName)
            return ["appId": appId, "domainName": domainName, "applies": "when it is created"]
        }
    }
}
