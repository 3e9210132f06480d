import AmplifyCore
import AmplifyWire
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix

/// The console's actions: each is one or two operations of the API, with the form's fields as their input.
extension ConsoleRoutes {
    func createApp(_ visitor: Visitor, _ form: [String: String], _ request: Request, _ context: AmplifyRequestContext) async throws -> Outcome {
        var input: [String: Any] = ["name": form["name"] ?? "", "platform": form["platform"] ?? "WEB"]
        if let repository = form["repository"], !repository.isEmpty { input["repository"] = repository }
        let variables = try Self.variables(form["environmentVariables"])
        if !variables.isEmpty { input["environmentVariables"] = variables }
        let created = try await self.call(.createApp, visitor, request, context, body: input)
        let appId = (created["app"] as? [String: Any])?["appId"] as? String ?? ""
        return .redirect("\(Self.root)/apps/\(appId)?notice=" + Self.queryValue("App created."))
    }

    func updateApp(_ visitor: Visitor, _ form: [String: String], _ request: Request, _ context: AmplifyRequestContext) async throws -> Outcome {
        let appId = try Self.parameter(context, "appId")
        var input: [String: Any] = [
            "description": form["description"] ?? "", "customHeaders": form["customHeaders"] ?? "",
            "enableBasicAuth": form["enableBasicAuth"] != nil,
        ]
        // An empty map changes nothing; AWS clears the variables when sent a single key of one space (amplify-api.md §5.3).
        let variables = try Self.variables(form["environmentVariables"])
        input["environmentVariables"] = variables.isEmpty ? [" ": ""] : variables
        let rulesText = (form["customRules"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard let rules = try? JSONSerialization.jsonObject(with: Data((rulesText.isEmpty ? "[]" : rulesText).utf8)) as? [Any] else {
            throw AmplifyError.badRequest("Custom rules must be a JSON list of {source, target, status}.")
        }
        input["customRules"] = rules
        if let credentials = form["basicAuth"], !credentials.isEmpty {
            guard credentials.contains(":") else { throw AmplifyError.badRequest("Basic auth credentials are user:password.") }
            input["basicAuthCredentials"] = Data(credentials.utf8).base64EncodedString()
        }
        _ = try await self.call(.updateApp, visitor, request, context, labels: ["appId": appId], body: input)
        return .redirect("\(Self.root)/apps/\(appId)?notice=" + Self.queryValue("Settings saved."))
    }

    func deleteApp(_ visitor: Visitor, _ form: [String: String], _ request: Request, _ context: AmplifyRequestContext) async throws -> Outcome {
        let appId = try Self.parameter(context, "appId")
        _ = try await self.call(.deleteApp, visitor, request, context, labels: ["appId": appId])
        return .redirect("\(Self.root)/?notice=" + Self.queryValue("App \(appId) deleted."))
    }

    func createWebhook(_ visitor: Visitor, _ form: [String: String], _ request: Request, _ context: AmplifyRequestContext) async throws -> Outcome {
        let appId = try Self.parameter(context, "appId")
        _ = try await self.call(.createWebhook, visitor, request, context, labels: ["appId": appId], body: ["branchName": form["branchName"] ?? ""])
        return .redirect("\(Self.root)/apps/\(appId)?notice=" + Self.queryValue("Webhook created."))
    }

    /// A domain and its subdomains (`prefix=branch`, comma- or line-separated; `=main` is the apex).
    func createDomain(_ visitor: Visitor, _ form: [String: String], _ request: Request, _ context: AmplifyRequestContext) async throws -> Outcome {
        let appId = try Self.parameter(context, "appId")
        var settings: [[String: String]] = []
        for item in (form["subDomains"] ?? "").split(whereSeparator: { $0 == "," || $0.isNewline }) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw AmplifyError.badRequest("Subdomains are prefix=branch, comma-separated; \"\(item)\" is not one.") }
            settings.append([
                "prefix": parts[0].trimmingCharacters(in: .whitespaces), "branchName": parts[1].trimmingCharacters(in: .whitespaces),
            ])
        }
        _ = try await self.call(
            .createDomainAssociation, visitor, request, context, labels: ["appId": appId],
            body: ["domainName": form["domainName"] ?? "", "subDomainSettings": settings]
        )
        return .redirect("\(Self.root)/apps/\(appId)?notice=" + Self.queryValue("Domain added."))
    }

    func createBackend(_ visitor: Visitor, _ form: [String: String], _ request: Request, _ context: AmplifyRequestContext) async throws -> Outcome {
        let appId = try Self.parameter(context, "appId")
        var input: [String: Any] = ["environmentName": form["environmentName"] ?? ""]
        if let stack = form["stackName"], !stack.isEmpty { input["stackName"] = stack }
        _ = try await self.call(.createBackendEnvironment, visitor, request, context, labels: ["appId": appId], body: input)
        return .redirect("\(Self.root)/apps/\(appId)?notice=" + Self.queryValue("Backend environment added."))
    }

    /// Removes an app's webhook, domain association or backend environment (`label` names it in the path).
    func deleteAppPart(_ kind: String, _ label: String, _ visitor: Visitor, _ request: Request, _ context: AmplifyRequestContext) async throws -> Outcome {
        let appId = try Self.parameter(context, "appId")
        let name = try Self.parameter(context, label)
        switch kind {
        case "webhooks": _ = try await self.call(.deleteWebhook, visitor, request, context, labels: ["webhookId": name])
        case "domains": _ = try await self.call(.deleteDomainAssociation, visitor, request, context, labels: ["appId": appId, "domainName": name])
        default: _ = try await self.call(.deleteBackendEnvironment, visitor, request, context, labels: ["appId": appId, "environmentName": name])
        }
        return .redirect("\(Self.root)/apps/\(appId)?notice=" + Self.queryValue("Removed."))
    }

    func createBranch(_ visitor: Visitor, _ form: [String: String], _ request: Request, _ context: AmplifyRequestContext) async throws -> Outcome {
        let appId = try Self.parameter(context, "appId")
        let name = form["branchName"] ?? ""
        _ = try await self.call(.createBranch, visitor, request, context, labels: ["appId": appId], body: ["branchName": name])
        return .redirect("\(Self.root)/apps/\(appId)/branches/\(Self.segment(name))?notice=" + Self.queryValue("Branch created."))
    }

    func deleteBranch(_ visitor: Visitor, _ form: [String: String], _ request: Request, _ context: AmplifyRequestContext) async throws -> Outcome {
        let appId = try Self.parameter(context, "appId")
        let name = try Self.parameter(context, "branch")
        _ = try await self.call(.deleteBranch, visitor, request, context, labels: ["appId": appId, "branchName": name])
        return .redirect("\(Self.root)/apps/\(appId)?notice=" + Self.queryValue("Branch \(name) deleted."))
    }

    func startJob(_ visitor: Visitor, _ form: [String: String], _ request: Request, _ context: AmplifyRequestContext) async throws -> Outcome {
        let appId = try Self.parameter(context, "appId")
        let name = try Self.parameter(context, "branch")
        let started = try await self.call(
            .startJob, visitor, request, context, labels: ["appId": appId, "branchName": name], body: ["jobType": "RELEASE"]
        )
        let jobId = (started["jobSummary"] as? [String: Any])?["jobId"] as? String ?? ""
        return .redirect("\(Self.root)/apps/\(appId)/branches/\(Self.segment(name))/jobs/\(jobId)")
    }

    /// Stop, retry (StartJob RETRY) or delete a job.
    func jobAction(_ verb: String, _ visitor: Visitor, _ request: Request, _ context: AmplifyRequestContext) async throws -> Outcome {
        let appId = try Self.parameter(context, "appId")
        let name = try Self.parameter(context, "branch")
        let jobId = try Self.parameter(context, "jobId")
        let branch = "\(Self.root)/apps/\(appId)/branches/\(Self.segment(name))"
        switch verb {
        case "stop":
            _ = try await self.call(.stopJob, visitor, request, context, labels: ["appId": appId, "branchName": name, "jobId": jobId])
            return .redirect("\(branch)?notice=" + Self.queryValue("Job \(jobId) is stopping."))
        case "retry":
            let started = try await self.call(
                .startJob, visitor, request, context, labels: ["appId": appId, "branchName": name], body: ["jobType": "RETRY", "jobId": jobId]
            )
            let newId = (started["jobSummary"] as? [String: Any])?["jobId"] as? String ?? ""
            return .redirect("\(branch)/jobs/\(newId)")
        default:
            _ = try await self.call(.deleteJob, visitor, request, context, labels: ["appId": appId, "branchName": name, "jobId": jobId])
            return .redirect("\(branch)?notice=" + Self.queryValue("Job \(jobId) deleted."))
        }
    }

    /// `POST …/deploy` with a zip as the body (the page's script sends the file dropped or chosen): CreateDeployment,
    /// the zip stored as its upload, StartDeployment. Answers JSON: `{jobId, href}`, or `{message}` with the API's status.
    func deploy(_ request: Request, _ context: AmplifyRequestContext) async throws -> Response {
        guard let visitor = self.visitor(request) else { return Self.forbidden("Sign in first.") }
        guard self.sessions.checkCSRF(request.headers[Self.csrfHeader], for: visitor.session) else {
            return Self.forbidden("The CSRF token is missing or wrong: reload the page.")
        }
        do {
            let appId = try Self.parameter(context, "appId")
            let name = try Self.parameter(context, "branch")
            let labels = ["appId": appId, "branchName": name]
            // Read whole first, at most 6 MiB, before a job is made for it (a limit hit while the file is written would
            // come back wrapped in the file system's error: a 500, where this is the 413 it is).
            var request = request
            let zip: ByteBuffer
            do {
                zip = try await request.collectBody(upTo: context.maxUploadSize)
            } catch is NIOTooManyBytesError {
                throw AWSError.bodyTooLarge(limit: context.maxUploadSize)
            }
            let created = try await self.call(.createDeployment, visitor, request, context, labels: labels, body: [:])
            guard let jobId = created["jobId"] as? String, let id = Int(jobId) else { throw AmplifyError(.internalFailure, "No job was made.") }
            let upload = self.files.zipUpload(JobKey(scope: visitor.scope, appId: appId, branchName: name, jobId: id))
            try FileManager.default.createDirectory(at: upload.deletingLastPathComponent(), withIntermediateDirectories: true)
            try await FileIO(threadPool: .singleton).writeFile(buffer: zip, path: upload.path, context: context)
            try await self.files.share(file: upload)
            _ = try await self.call(.startDeployment, visitor, request, context, labels: labels, body: ["jobId": jobId])
            return try Self.jsonResponse(.ok, ["jobId": jobId, "href": "\(Self.root)/apps/\(appId)/branches/\(Self.segment(name))/jobs/\(jobId)"])
        } catch {
            let (status, message) = self.message(error, context)
            return try Self.jsonResponse(status, ["message": message])
        }
    }

    static func jsonResponse(_ status: HTTPResponse.Status, _ object: [String: Any]) throws -> Response {
        Response(
            status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object)))
        )
    }

    /// `KEY=value` lines.
    static func variables(_ text: String?) throws -> [String: String] {
        var variables: [String: String] = [:]
        for line in (text ?? "").split(whereSeparator: \.isNewline) where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].trimmingCharacters(in: .whitespaces).isEmpty else {
                throw AmplifyError.badRequest("Environment variables are KEY=value lines; \"\(line)\" is not one.")
            }
            variables[parts[0].trimmingCharacters(in: .whitespaces)] = String(parts[1])
        }
        return variables
    }
}
