import AmplifyCore
import AmplifyHosting
import AmplifyWire
import Foundation
import HTTPTypes
import Hummingbird

/// The console's pages: each reads what it shows through the API's operations.
extension ConsoleRoutes {
    func appsPage(_ visitor: Visitor, _ request: Request, _ context: AmplifyRequestContext) async throws -> Outcome {
        var query = ["maxResults": ["25"]]
        if let next = request.uri.queryParameters["next"] { query["nextToken"] = [String(next)] }
        let listed = try await self.call(.listApps, visitor, request, context, query: query)
        var apps: [[String: Any]] = []
        for app in listed["apps"] as? [[String: Any]] ?? [] {
            let appId = app["appId"] as? String ?? ""
            let href = "\(Self.root)/apps/\(appId)"
            let branches = try await self.branches(appId, visitor, request, context).map { branch in
                ["name": branch.name, "status": branch.status, "statusLabel": branch.statusLabel, "href": branch.href]
            }
            apps.append(["appId": appId, "name": app["name"] ?? "", "platform": app["platform"] ?? "", "href": href, "branches": branches])
        }
        return .page(
            title: "Apps", template: "apps", view: ["apps": apps, "hasApps": !apps.isEmpty, "next": listed["nextToken"] ?? false, "live": true],
            crumbs: []
        )
    }

    struct BranchRow {
        var name: String
        var stage: String
        var status: String
        var statusLabel: String
        var href: String
        var site: String?
    }

    /// The app's branches with their latest job's status.
    func branches(_ appId: String, _ visitor: Visitor, _ request: Request, _ context: AmplifyRequestContext) async throws -> [BranchRow] {
        let listed = try await self.call(.listBranches, visitor, request, context, labels: ["appId": appId], query: ["maxResults": ["50"]])
        var rows: [BranchRow] = []
        for branch in listed["branches"] as? [[String: Any]] ?? [] {
            let name = branch["branchName"] as? String ?? ""
            let jobs = try await self.call(
                .listJobs, visitor, request, context, labels: ["appId": appId, "branchName": name], query: ["maxResults": ["1"]]
            )
            let latest = (jobs["jobSummaries"] as? [[String: Any]])?.first
            let status = latest?["status"] as? String ?? "NONE"
            let display = branch["displayName"] as? String ?? name
            rows.append(
                BranchRow(
                    name: name, stage: branch["stage"] as? String ?? "", status: status,
                    statusLabel: latest.map { "#\($0["jobId"] ?? "") \(status)" } ?? "no jobs",
                    href: "\(Self.root)/apps/\(appId)/branches/\(Self.segment(name))",
                    site: latest == nil ? nil : self.siteURL(request, appId: appId, displayName: display)
                )
            )
        }
        return rows
    }

    func siteURL(_ request: Request, appId: String, displayName: String) -> String {
        let port = request.head.authority.flatMap { $0.split(separator: ":").last.flatMap { Int($0) } }
        return "http://\(displayName).\(appId).localhost\(port.map { ":\($0)" } ?? "")/"
    }

    func appPage(_ visitor: Visitor, _ request: Request, _ context: AmplifyRequestContext) async throws -> Outcome {
        let appId = try Self.parameter(context, "appId")
        let app = try await self.call(.getApp, visitor, request, context, labels: ["appId": appId])["app"] as? [String: Any] ?? [:]
        let href = "\(Self.root)/apps/\(appId)"
        let query = request.uri.queryParameters
        let chosen = query["branch"].map(String.init)
        let rows = try await self.branches(appId, visitor, request, context)
        var view: [String: Any] = [
            "app": app, "href": href, "live": true,
            // An app without one answers an empty repository.
            "repository": (app["repository"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? false,
            "branches": rows.map { row in
                ["name": row.name, "stage": row.stage, "status": row.status, "statusLabel": row.statusLabel, "href": row.href, "site": row.site ?? false,
                 "selected": row.name == chosen] as [String: Any]
            },
            "environment": (app["environmentVariables"] as? [String: String] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                .joined(separator: "\n"),
            "rules": Self.prettyJSON(app["customRules"] ?? []),
        ]
        if let production = app["productionBranch"] as? [String: Any], let name = production["branchName"] as? String,
            let row = rows.first(where: { $0.name == name })
        {
            view["production"] = ["name": name, "href": row.href, "site": row.site ?? ""]
        }
        let domains = try await self.call(.listDomainAssociations, visitor, request, context, labels: ["appId": appId])
        view["domains"] = (domains["domainAssociations"] as? [[String: Any]] ?? []).map { domain in
            ["domainName": domain["domainName"] ?? "", "domainStatus": domain["domainStatus"] ?? "",
             "segment": Self.segment(domain["domainName"] as? String ?? ""),
             "subDomains": (domain["subDomains"] as? [[String: Any]] ?? []).compactMap { $0["subDomainSetting"] as? [String: Any] }]
        }
        view["webhooks"] = try await self.call(.listWebhooks, visitor, request, context, labels: ["appId": appId])["webhooks"] ?? []
        view["backends"] = try await self.call(.listBackendEnvironments, visitor, request, context, labels: ["appId": appId])["backendEnvironments"] ?? []
        if let path = query["path"].map(String.init), let branchName = chosen {
            view["explainPath"] = path
            view["explainHeaders"] = query["headers"].map(String.init) ?? ""
            view["explanation"] = try await SiteExplanation.explain(
                self.api.store, visitor.scope, appId: appId, branchName: branchName, path: path,
                headers: Self.headerLines(query["headers"].map(String.init)), files: self.files
            ).view
        }
        return .page(title: app["name"] as? String ?? appId, template: "app", view: view, crumbs: [("Apps", "\(Self.root)/")])
    }

    func branchPage(_ visitor: Visitor, _ request: Request, _ context: AmplifyRequestContext) async throws -> Outcome {
        let appId = try Self.parameter(context, "appId")
        let branchName = try Self.parameter(context, "branch")
        let labels = ["appId": appId, "branchName": branchName]
        let app = try await self.call(.getApp, visitor, request, context, labels: ["appId": appId])["app"] as? [String: Any] ?? [:]
        let branch = try await self.call(.getBranch, visitor, request, context, labels: labels)["branch"] as? [String: Any] ?? [:]
        var query = ["maxResults": ["50"]]
        if let next = request.uri.queryParameters["next"] { query["nextToken"] = [String(next)] }
        let listed = try await self.call(.listJobs, visitor, request, context, labels: labels, query: query)
        let href = "\(Self.root)/apps/\(appId)/branches/\(Self.segment(branchName))"
        let jobs = (listed["jobSummaries"] as? [[String: Any]] ?? []).map { job -> [String: Any] in
            let status = job["status"] as? String ?? ""
            let finished = Self.finished(status)
            return [
                "jobId": job["jobId"] ?? "", "jobType": job["jobType"] ?? "", "status": status, "href": "\(href)/jobs/\(job["jobId"] ?? "")",
                "commit": (job["commitId"] as? String).map { String($0.prefix(8)) } ?? "", "commitMessage": job["commitMessage"] ?? "",
                "started": Self.time(job["startTime"]), "duration": Self.duration(job["startTime"], job["endTime"]),
                "stoppable": !finished, "retryable": status == "FAILED" || status == "CANCELLED", "deletable": finished,
                "csrf": visitor.csrf,
            ]
        }
        let repository = (app["repository"] as? String).map { !$0.isEmpty } ?? false
        let hasSite = branch["thumbnailUrl"] != nil
        let view: [String: Any] = [
            "branch": branch, "href": href, "jobs": jobs, "next": listed["nextToken"] ?? false, "repository": repository, "live": true,
            "site": hasSite ? self.siteURL(request, appId: appId, displayName: branch["displayName"] as? String ?? branchName) : false,
            "thumbnail": branch["thumbnailUrl"] ?? false,
            "framework": (branch["framework"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? false,
        ]
        return .page(
            title: branchName, template: "branch", view: view,
            crumbs: [("Apps", "\(Self.root)/"), (app["name"] as? String ?? appId, "\(Self.root)/apps/\(appId)")]
        )
    }

    func jobPage(_ visitor: Visitor, _ request: Request, _ context: AmplifyRequestContext) async throws -> Outcome {
        let appId = try Self.parameter(context, "appId")
        let branchName = try Self.parameter(context, "branch")
        let jobId = try Self.parameter(context, "jobId")
        let view = try await self.jobView(visitor, request, context, logsFrom: 0)
        return .page(
            title: "Job #\(jobId)", template: "job", view: view,
            crumbs: [
                ("Apps", "\(Self.root)/"), (appId, "\(Self.root)/apps/\(appId)"),
                (branchName, "\(Self.root)/apps/\(appId)/branches/\(Self.segment(branchName))"),
            ]
        )
    }

    /// `GET …/jobs/<id>/progress?known=N`: what the job's page changes in place as the job goes on, as JSON: `status`,
    /// `done` (finished: the page stops asking), `parts` (the page's elements by id — its summary line, each step's
    /// heading and files — rendered by the page's own templates) and `added` (the sections of the steps after the
    /// first N, the ones the page does not have yet, each with its log's end to follow from).
    func jobProgress(_ request: Request, _ context: AmplifyRequestContext) async throws -> Response {
        guard let visitor = self.visitor(request) else { return Self.forbidden("Sign in first.") }
        do {
            let known = request.uri.queryParameters["known"].flatMap { Int(String($0)) }.map { max(0, $0) } ?? 0
            let view = try await self.jobView(visitor, request, context, logsFrom: known)
            let steps = view["steps"] as? [[String: Any]] ?? []
            var parts = ["job-meta": ConsoleTemplates.render(view, "jobMeta")]
            for step in steps {
                let name = step["stepName"] as? String ?? ""
                parts["step-\(name)-head"] = ConsoleTemplates.render(step, "stepHead")
                parts["step-\(name)-files"] = ConsoleTemplates.render(step, "stepFiles")
            }
            let summary = view["job"] as? [String: Any] ?? [:]
            return try Self.jsonResponse(.ok, [
                "status": summary["status"] ?? "", "done": view["done"] as? String == "true", "parts": parts,
                "added": steps.dropFirst(known).map { ConsoleTemplates.render($0, "step") }.joined(separator: "\n"),
            ])
        } catch {
            let (status, message) = self.message(error, context)
            return try Self.jsonResponse(status, ["message": message])
        }
    }

    /// The job page's view of the job in the path (GetJob, ListArtifacts): its summary and steps; the end of each
    /// step's log (the last `logTailBytes`) for the steps from `logsFrom` on, the ones a page is to show.
    private func jobView(_ visitor: Visitor, _ request: Request, _ context: AmplifyRequestContext, logsFrom: Int) async throws -> [String: Any] {
        let appId = try Self.parameter(context, "appId")
        let branchName = try Self.parameter(context, "branch")
        let jobId = try Self.parameter(context, "jobId")
        let job = try await self.call(.getJob, visitor, request, context, labels: ["appId": appId, "branchName": branchName, "jobId": jobId])["job"]
            as? [String: Any] ?? [:]
        let summary = job["summary"] as? [String: Any] ?? [:]
        let href = "\(Self.root)/apps/\(appId)/branches/\(Self.segment(branchName))/jobs/\(jobId)"
        let key = JobKey(scope: visitor.scope, appId: appId, branchName: branchName, jobId: Int(jobId) ?? 0)
        var steps: [[String: Any]] = []
        for (index, step) in (job["steps"] as? [[String: Any]] ?? []).enumerated() {
            let name = step["stepName"] as? String ?? ""
            let status = step["status"] as? String ?? ""
            var artifacts: [[String: String]] = []
            if name == "TEST" {
                let listed = try await self.call(
                    .listArtifacts, visitor, request, context, labels: ["appId": appId, "branchName": branchName, "jobId": jobId]
                )
                for artifact in listed["artifacts"] as? [[String: Any]] ?? [] {
                    guard let id = artifact["artifactId"] as? String else { continue }
                    let url = try await self.call(.getArtifactUrl, visitor, request, context, labels: ["artifactId": id])["artifactUrl"]
                    artifacts.append(["name": artifact["artifactFileName"] as? String ?? id, "url": url as? String ?? ""])
                }
            }
            var view: [String: Any] = [
                "stepName": name, "status": status, "statusReason": step["statusReason"] ?? false,
                "duration": Self.duration(step["startTime"], step["endTime"]), "logHref": "\(href)/log/\(Self.segment(name))",
                "done": Self.finished(status) ? "true" : "false", "artifacts": artifacts, "hasArtifacts": !artifacts.isEmpty,
            ]
            if index >= logsFrom {
                // The last 32 KB of the log as the step is shown (no page over 150 KB), the whole log a link away; the
                // script follows what comes after.
                let size = try await self.api.store.log(key, step: name, from: Int.max)?.total ?? 0
                let tail = try await self.api.store.log(key, step: name, from: max(0, size - Self.logTailBytes))
                view["offset"] = tail?.total ?? 0
                view["log"] = String(decoding: tail?.bytes ?? [], as: UTF8.self)
                view["earlier"] = size > Self.logTailBytes ? (step["logUrl"] ?? false) : false
            }
            steps.append(view)
        }
        return [
            "job": summary, "steps": steps, "live": true, "progressHref": "\(href)/progress",
            "done": Self.finished(summary["status"] as? String ?? "") ? "true" : "false",
            "commit": (summary["commitId"] as? String).map { String($0.prefix(8)) } ?? false,
            "started": Self.time(summary["startTime"]), "ended": summary["endTime"] == nil ? false : Self.time(summary["endTime"]),
            "duration": Self.duration(summary["startTime"], summary["endTime"]),
        ]
    }

    /// Whether a job or step status is a final one.
    static func finished(_ status: String) -> Bool {
        ["SUCCEED", "FAILED", "CANCELLED"].contains(status)
    }

    /// `GET …/jobs/<id>/log/<step>?offset=N`: the log's bytes after N, `X-Log-Size` (where the next read starts) and
    /// `X-Step-Done` (whether the step has ended, so the page stops asking).
    func logTail(_ request: Request, _ context: AmplifyRequestContext) async throws -> Response {
        guard let visitor = self.visitor(request) else { return Self.forbidden("Sign in first.") }
        let key = JobKey(
            scope: visitor.scope, appId: try Self.parameter(context, "appId"), branchName: try Self.parameter(context, "branch"),
            jobId: Int(try Self.parameter(context, "jobId")) ?? 0
        )
        let step = try Self.parameter(context, "step")
        let offset = request.uri.queryParameters["offset"].flatMap { Int(String($0)) } ?? 0
        let job = try await self.api.store.job(key)
        let tail = try await self.api.store.log(key, step: step, from: max(0, offset))
        let done = job.status.isFinished || (job.steps.first { $0.stepName == step }?.status.isFinished ?? false)
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/plain; charset=utf-8", .cacheControl: "no-store",
                HTTPField.Name("X-Log-Size")!: String(tail?.total ?? offset), HTTPField.Name("X-Step-Done")!: done ? "true" : "false",
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: tail?.bytes ?? []))
        )
    }

    func confirmDeleteApp(_ visitor: Visitor, _ request: Request, _ context: AmplifyRequestContext) async throws -> Outcome {
        let appId = try Self.parameter(context, "appId")
        let app = try await self.call(.getApp, visitor, request, context, labels: ["appId": appId])["app"] as? [String: Any] ?? [:]
        let name = app["name"] as? String ?? appId
        return .page(
            title: "Delete \(name)", template: "confirm",
            view: [
                "question": "Delete app \(name)?", "detail": "Its branches, jobs, sites and domains go with it.", "verb": "Delete app",
                "action": "\(Self.root)/apps/\(appId)/delete", "cancel": "\(Self.root)/apps/\(appId)",
            ],
            crumbs: [("Apps", "\(Self.root)/"), (name, "\(Self.root)/apps/\(appId)")]
        )
    }

    func confirmDeleteBranch(_ visitor: Visitor, _ request: Request, _ context: AmplifyRequestContext) async throws -> Outcome {
        let appId = try Self.parameter(context, "appId")
        let branchName = try Self.parameter(context, "branch")
        _ = try await self.call(.getBranch, visitor, request, context, labels: ["appId": appId, "branchName": branchName])
        let href = "\(Self.root)/apps/\(appId)/branches/\(Self.segment(branchName))"
        return .page(
            title: "Delete \(branchName)", template: "confirm",
            view: [
                "question": "Delete branch \(branchName)?", "detail": "Its jobs and site go with it.", "verb": "Delete branch",
                "action": "\(href)/delete", "cancel": href,
            ],
            crumbs: [("Apps", "\(Self.root)/"), (appId, "\(Self.root)/apps/\(appId)")]
        )
    }

    /// How much of each step's log a job page shows as it opens.
    static let logTailBytes = 32 * 1024

    // MARK: Formatting

    static func time(_ value: Any?) -> String {
        guard let seconds = value as? Double else { return "" }
        return Date(timeIntervalSince1970: seconds).formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeSeparator(.colon))
    }

    static func duration(_ start: Any?, _ end: Any?) -> String {
        guard let start = start as? Double else { return "" }
        let seconds = Int(((end as? Double) ?? Date().timeIntervalSince1970) - start)
        return seconds >= 60 ? "\(seconds / 60) min \(seconds % 60) s" : "\(max(0, seconds)) s"
    }

    static func prettyJSON(_ value: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) else { return "[]" }
        return String(decoding: data, as: UTF8.self)
    }

    /// `Name: value` lines.
    static func headerLines(_ text: String?) -> [String: String] {
        var headers: [String: String] = [:]
        for line in (text ?? "").split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { headers[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return headers
    }
}

extension SiteExplanation {
    /// As the rule tester shows it.
    var view: [String: Any] {
        [
            "rule": self.rule.map { ["number": $0.index + 1, "source": $0.source, "target": $0.target, "status": $0.status ?? "200"] } ?? false,
            "status": self.status, "target": self.target, "file": self.file ?? false,
            "route": self.route.map { ["path": $0.path, "kind": $0.kind] } ?? false,
            "headers": self.headers.sorted { $0.key < $1.key }.map { ["name": $0.key, "value": $0.value] }, "note": self.note ?? false,
        ]
    }
}
