import AmplifyWire
import Foundation
import Testing

@Suite struct WireValidationTests {
    @Test func patternsMatchTheWholeValue() {
        let appId = WirePattern("d[a-z0-9]+")
        #expect(appId.matches("d1abc"))
        #expect(!appId.matches("xd1abc"))
        #expect(!appId.matches("d1abc!"))
        #expect(!appId.matches("D1ABC"))
        let anything = WirePattern("(?s).*")
        #expect(anything.matches(""))
        let jobId = WirePattern("[0-9]+")
        #expect(jobId.matches("0042"))
        #expect(!jobId.matches(""))
        #expect(!jobId.matches("4a"))
        #expect(!jobId.matches("٤"))
        let ttl = WirePattern("\\d*")
        #expect(ttl.matches(""))
        #expect(ttl.matches("30"))
        #expect(!ttl.matches("3 0"))
        let nonEmpty = WirePattern("(?s).+")
        #expect(!nonEmpty.matches(""))
        #expect(nonEmpty.matches("\n"))
    }

    @Test func tagValuesUseUnicodeClasses() {
        let tagValue = WirePattern("^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$")
        #expect(tagValue.matches("Grüße 123 @team"))
        #expect(!tagValue.matches("semi;colon"))
        let tagKey = WirePattern("^(?!aws:)[a-zA-Z+-=._:/]+$")
        #expect(tagKey.matches("env"))
        #expect(!tagKey.matches("aws:reserved"))
    }

    @Test func missingRequiredMemberIsNamed() {
        let violations = Wire.CreateAppRequest.Unvalidated().violations()
        #expect(violations.map(\.member) == ["name"])
        #expect(Validator.message(for: violations) == "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
    }

    @Test func everyViolationIsReported() {
        let input = Wire.CreateBranchRequest.Unvalidated(appId: "XX", branchName: String(repeating: "b", count: 256), stage: "PROD", ttl: "five")
        let members = input.violations().map(\.member)
        #expect(members == ["appId", "branchName", "stage", "ttl"])
        let message = Validator.message(for: input.violations())
        #expect(message.hasPrefix("4 validation errors detected: "))
        #expect(message.contains("Member must satisfy enum value set: [PRODUCTION, BETA, DEVELOPMENT, EXPERIMENTAL, PULL_REQUEST]"))
        #expect(message.contains("Member must have length less than or equal to 255"))
    }

    @Test func nestedMembersAndMapsAreValidated() {
        let input = Wire.CreateAppRequest.Unvalidated(
            name: "app", customRules: [.init(source: "/a", target: "/b"), .init(source: "", target: "/b")],
            tags: ["aws:x": "v"], jobConfig: .init(buildComputeType: "HUGE")
        )
        let members = Set(input.violations().map(\.member))
        #expect(members == ["customRules.2.member.source", "tags.key", "jobConfig.buildComputeType"])
    }

    @Test func sensitiveValuesAreNotEchoed() {
        let input = Wire.CreateAppRequest.Unvalidated(name: "app", accessToken: "")
        let message = Validator.message(for: input.violations())
        #expect(message.hasPrefix("2 validation errors detected: Value at 'accessToken' failed to satisfy constraint:"))
        #expect(!message.contains("''"))
    }

    @Test func maxResultsRange() {
        #expect(Wire.ListAppsRequest.Unvalidated(maxResults: 100).violations().isEmpty)
        #expect(Wire.ListAppsRequest.Unvalidated(maxResults: 101).violations().map(\.member) == ["maxResults"])
        #expect(Wire.ListJobsRequest.Unvalidated(appId: "d1", branchName: "b", maxResults: 51).violations().map(\.member) == ["maxResults"])
        #expect(Wire.ListJobsRequest.Unvalidated(appId: "d1", branchName: "b", maxResults: -1).violations().map(\.member) == ["maxResults"])
    }

    @Test func bodiesDecodeWithEpochSecondsOrISOTimestamps() throws {
        for body in [#"{"jobType":"RELEASE","commitTime":1704110400}"#, #"{"jobType":"RELEASE","commitTime":1704110400.5}"#,
                     #"{"jobType":"RELEASE","commitTime":"2024-01-01T12:00:00Z"}"#] {
            let input = try Wire.StartJobRequest.decode(WireRequest(labels: ["appId": "d1", "branchName": "main"], body: Data(body.utf8)))
            #expect(input.commitTime.map { Int($0.timeIntervalSince1970) } == 1_704_110_400)
            #expect(input.appId == "d1")
        }
    }

    @Test func decodedInputsAreTyped() throws {
        let labels = ["appId": "d1", "branchName": "main"]
        let input = try Wire.StartJobRequest.decode(WireRequest(labels: labels, body: Data(#"{"jobType":"RETRY","jobId":"3"}"#.utf8)))
        #expect(input.jobType == .retry && input.appId == "d1" && input.branchName == "main")
        #expect(throws: WireInputError(
            "1 validation error detected: Value 'NOPE' at 'jobType' failed to satisfy constraint: Member must satisfy enum value set: "
                + "[RELEASE, RETRY, MANUAL, WEB_HOOK]"
        )) {
            try Wire.StartJobRequest.decode(WireRequest(labels: labels, body: Data(#"{"jobType":"NOPE"}"#.utf8)))
        }
        #expect(throws: WireInputError("1 validation error detected: Value null at 'jobType' failed to satisfy constraint: Member must not be null")) {
            try Wire.StartJobRequest.decode(WireRequest(labels: labels, body: Data("{}".utf8)))
        }
        // NONE is a stage the service answers with, not one a request may set.
        #expect(throws: WireInputError.self) {
            try Wire.CreateBranchRequest.decode(WireRequest(labels: ["appId": "d1"], body: Data(#"{"branchName":"b","stage":"NONE"}"#.utf8)))
        }
        let nested = try Wire.CreateAppRequest.decode(
            WireRequest(body: Data(#"{"name":"a","jobConfig":{"buildComputeType":"LARGE_16GB"},"customRules":[{"source":"/a","target":"/b"}]}"#.utf8))
        )
        #expect(nested.jobConfig == Wire.JobConfig(buildComputeType: .large16gb))
        #expect(nested.customRules == [Wire.CustomRule(source: "/a", target: "/b")])
    }

    @Test func wrongJSONTypesNameTheMember() {
        #expect(throws: WireInputError("Value at 'enableAutoBuild' failed to satisfy constraint: Member must be of type boolean")) {
            try Wire.CreateBranchRequest.decode(WireRequest(body: Data(#"{"branchName":"b","enableAutoBuild":"yes"}"#.utf8)))
        }
        #expect(throws: WireInputError("The request body must be a JSON object.")) {
            try Wire.CreateAppRequest.decode(WireRequest(body: Data("[1]".utf8)))
        }
        #expect(throws: WireInputError("The request body is not valid JSON.")) {
            try Wire.CreateAppRequest.decode(WireRequest(body: Data("{nope".utf8)))
        }
    }

    @Test func queryValuesAreBound() throws {
        let query = try #require(WireRequest.parseQuery("maxResults=5&nextToken=a%2Fb%2B%3D"))
        let input = try Wire.ListJobsRequest.decode(WireRequest(labels: ["appId": "d1", "branchName": "x/y"], query: query))
        #expect(input.maxResults == 5)
        #expect(input.nextToken == "a/b+=")
        #expect(input.branchName == "x/y")
        #expect(throws: WireInputError.self) {
            try Wire.ListJobsRequest.decode(WireRequest(query: ["maxResults": ["ten"]]))
        }
        #expect(WireRequest.parseQuery("a=%ZZ") == nil)
    }
}

@Suite struct JSONWriterTests {
    /// The writer and Foundation's JSONEncoder must produce the same JSON value.
    func sameAsCodable<T: WireJSONWritable & Encodable>(_ value: T) throws {
        let written = try JSONSerialization.jsonObject(with: Data(value.jsonBytes())) as? NSDictionary
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        let encoded = try JSONSerialization.jsonObject(with: try encoder.encode(value)) as? NSDictionary
        #expect(written != nil)
        #expect(written == encoded)
    }

    @Test func writesWhatCodableWrites() throws {
        let date = Date(timeIntervalSince1970: 1_721_762_202.32)
        let app = Wire.App(
            appId: "d1", appArn: "arn:aws:amplify:us-east-1:1:apps/d1", name: "quote \" backslash \\ newline \n tab \t bell \u{07} é 🚀",
            tags: ["b": "2", "a": "1"], createTime: date, updateTime: Date(timeIntervalSince1970: 1_700_000_000),
            environmentVariables: [:], enableBranchAutoBuild: false, enableBasicAuth: true,
            customRules: [Wire.CustomRule(source: "/<*>", target: "/index.html", status: "404-200")],
            autoBranchCreationPatterns: ["feature/*", "dev"], cacheConfig: Wire.CacheConfig(type: .amplifyManaged)
        )
        try sameAsCodable(Wire.GetAppResult(app: app))
        let job = Wire.Job(
            summary: Wire.JobSummary(jobArn: "arn", jobId: "1", commitTime: date, status: .succeed),
            steps: [Wire.Step(stepName: "BUILD", startTime: date, status: .succeed, endTime: date, screenshots: ["x": "y"])]
        )
        try sameAsCodable(Wire.GetJobResult(job: job))
        try sameAsCodable(Wire.ListJobsResult(jobSummaries: [], nextToken: nil))
        #expect(String(decoding: Wire.ListJobsResult(jobSummaries: []).jsonBytes(), as: UTF8.self) == #"{"jobSummaries":[]}"#)
    }
}
