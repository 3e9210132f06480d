import AmplifyBuilds
import AmplifyCore
import AmplifyServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The whole app, through HummingbirdTesting: routing, the wire format and the build runner together.
@Suite struct ApplicationTests {
    static let configuration = ServerConfiguration(dataDirectory: nil, buildMode: .simulate, simulatedBuildSeconds: 0.05)
    static let signed: HTTPFields = [
        .authorization: "AWS4-HMAC-SHA256 Credential=123456789012/20261129/eu-west-2/amplify/aws4_request, SignedHeaders=host, Signature=x",
        .contentType: "application/json",
    ]

    static func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
    }

    static func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    /// Polls GetJob until the job has `status`; returns the last status seen.
    static func waitForStatus(_ client: some TestClientProtocol, _ path: String, _ status: String) async throws -> String {
        var seen = ""
        for _ in 0..<300 where seen != status {
            try await Task.sleep(for: .milliseconds(10))
            let job = try await client.execute(uri: path, method: .get, headers: Self.signed)
            seen = ((try Self.json(job)["job"] as? [String: Any])?["summary"] as? [String: Any])?["status"] as? String ?? ""
        }
        return seen
    }

    @Test func appLifecycleWithAWSWireFormat() async throws {
        let app = try await buildApplication(configuration: Self.configuration)
        try await app.test(.router) { client in
            let created = try await client.execute(uri: "/apps", method: .post, headers: Self.signed, body: Self.body(#"{"name":"web","repository":"/srv/repo"}"#))
            #expect(created.status == .ok)
            #expect(created.headers[.init("x-amzn-RequestId")!]?.isEmpty == false)
            let appObject = try #require(try Self.json(created)["app"] as? [String: Any])
            let appId = try #require(appObject["appId"] as? String)
            #expect(appObject["appArn"] as? String == "arn:aws:amplify:eu-west-2:123456789012:apps/\(appId)")
            #expect(appObject["platform"] as? String == "WEB")
            #expect(appObject["createTime"] is Double)

            let missing = try await client.execute(uri: "/apps/d0000000000", method: .get, headers: Self.signed)
            #expect(missing.status == .notFound)
            #expect(missing.headers[.init("x-amzn-ErrorType")!] == "NotFoundException")
            #expect(try Self.json(missing)["message"] as? String == "App d0000000000 not found.")

            // Another account sees nothing.
            let elsewhere = try await client.execute(uri: "/apps/\(appId)", method: .get)
            #expect(elsewhere.status == .notFound)

            let deleted = try await client.execute(uri: "/apps/\(appId)", method: .delete, headers: Self.signed)
            #expect(try Self.json(deleted)["app"] as? [String: Any] != nil)
            #expect(try await client.execute(uri: "/apps/\(appId)", method: .get, headers: Self.signed).status == .notFound)
        }
    }

    @Test func badInputIsABadRequestThatChangesNothing() async throws {
        let app = try await buildApplication(configuration: Self.configuration)
        try await app.test(.router) { client in
            for body in [#"{"name":""}"#, #"{"name":5}"#, "{", #"{"name":"x","platform":"IOS"}"#, "[]"] {
                let response = try await client.execute(uri: "/apps", method: .post, headers: Self.signed, body: Self.body(body))
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.headers[.init("x-amzn-ErrorType")!] == "BadRequestException")
                #expect((try Self.json(response)["message"] as? String)?.isEmpty == false)
            }
            let list = try await client.execute(uri: "/apps", method: .get, headers: Self.signed)
            #expect((try Self.json(list)["apps"] as? [Any])?.isEmpty == true)
            let unknown = try await client.execute(uri: "/nothing", method: .get)
            #expect(unknown.status == .notFound)
            #expect(unknown.headers[.init("x-amzn-ErrorType")!] == "UnknownOperationException")
            let health = try await client.execute(uri: "/_amplify-local/health", method: .get)
            #expect(try Self.json(health)["status"] as? String == "ok")
            #expect(health.headers[.init("x-amzn-RequestId")!]?.isEmpty == false)
        }
    }

    @Test func jobsRunToSucceedAndCanThenBeDeleted() async throws {
        let app = try await buildApplication(configuration: Self.configuration)
        try await app.test(.router) { client in
            let created = try await client.execute(uri: "/apps", method: .post, headers: Self.signed, body: Self.body(#"{"name":"web","repository":"/srv/repo"}"#))
            let appId = try #require((try Self.json(created)["app"] as? [String: Any])?["appId"] as? String)
            _ = try await client.execute(uri: "/apps/\(appId)/branches", method: .post, headers: Self.signed, body: Self.body(#"{"branchName":"feature/x"}"#))
            let jobs = "/apps/\(appId)/branches/feature%2Fx/jobs"
            let started = try await client.execute(uri: jobs, method: .post, headers: Self.signed, body: Self.body(#"{"jobType":"RELEASE"}"#))
            let summary = try #require(try Self.json(started)["jobSummary"] as? [String: Any])
            #expect(summary["jobId"] as? String == "1")
            #expect(summary["status"] as? String == "PENDING")
            #expect((summary["jobArn"] as? String)?.hasSuffix("/branches/feature/x/jobs/0000000001") == true)

            let busy = try await client.execute(uri: jobs, method: .post, headers: Self.signed, body: Self.body(#"{"jobType":"RELEASE"}"#))
            #expect(busy.status == .tooManyRequests)
            #expect(busy.headers[.init("x-amzn-ErrorType")!] == "LimitExceededException")

            let inProgress = try await client.execute(uri: "\(jobs)/1", method: .delete, headers: Self.signed)
            #expect(inProgress.status == .badRequest || inProgress.status == .ok)

            #expect(try await Self.waitForStatus(client, "\(jobs)/1", "SUCCEED") == "SUCCEED")
            let job = try await client.execute(uri: "\(jobs)/1", method: .get, headers: Self.signed)
            let steps = try #require((try Self.json(job)["job"] as? [String: Any])?["steps"] as? [[String: Any]])
            #expect(steps.map { $0["stepName"] as? String } == ["BUILD", "DEPLOY", "VERIFY"])
            #expect(steps.allSatisfy { $0["status"] as? String == "SUCCEED" && $0["endTime"] is Double })

            let logURL = try #require((steps[0]["logUrl"] as? String).flatMap { URL(string: $0) })
            let logPath = logURL.path(percentEncoded: true) + "?" + (logURL.query(percentEncoded: true) ?? "")
            let log = try await client.execute(uri: logPath, method: .get)
            #expect(String(buffer: log.body).contains("Simulated BUILD step"))

            let deleted = try await client.execute(uri: "\(jobs)/1", method: .delete, headers: Self.signed)
            #expect((try Self.json(deleted)["jobSummary"] as? [String: Any])?["status"] as? String == "SUCCEED")
            #expect(try await client.execute(uri: "\(jobs)/1", method: .get, headers: Self.signed).status == .notFound)
            #expect(try await client.execute(uri: logPath, method: .get).status == .notFound)
        }
    }

    @Test func stopJobCancelsABuild() async throws {
        let app = try await buildApplication(configuration: ServerConfiguration(dataDirectory: nil, buildMode: .simulate, simulatedBuildSeconds: 30))
        try await app.test(.router) { client in
            let created = try await client.execute(uri: "/apps", method: .post, headers: Self.signed, body: Self.body(#"{"name":"web","repository":"/srv/repo"}"#))
            let appId = try #require((try Self.json(created)["app"] as? [String: Any])?["appId"] as? String)
            _ = try await client.execute(uri: "/apps/\(appId)/branches", method: .post, headers: Self.signed, body: Self.body(#"{"branchName":"main"}"#))
            let jobs = "/apps/\(appId)/branches/main/jobs"
            _ = try await client.execute(uri: jobs, method: .post, headers: Self.signed, body: Self.body(#"{"jobType":"RELEASE"}"#))
            let stopped = try await client.execute(uri: "\(jobs)/1/stop", method: .delete, headers: Self.signed)
            #expect((try Self.json(stopped)["jobSummary"] as? [String: Any])?["status"] as? String == "CANCELLING")
            #expect(try await Self.waitForStatus(client, "\(jobs)/1", "CANCELLED") == "CANCELLED")
            let again = try await client.execute(uri: "\(jobs)/1/stop", method: .delete, headers: Self.signed)
            #expect(again.status == .badRequest)
        }
    }
}
