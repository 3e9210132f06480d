import AmplifyWire
import Foundation
import Testing

@Suite struct OperationRouterTests {
    let router = OperationRouter()

    @Test func everyOperationRoutesToItself() throws {
        for operation in WireOperation.allCases {
            let path = operation.http.uri.replacingOccurrences(of: "{", with: "x").replacingOccurrences(of: "}", with: "")
            let match = try router.match(method: operation.http.method, rawPath: path[...])
            #expect(match.operation == operation)
        }
        #expect(WireOperation.allCases.count == 37)
    }

    @Test func segmentsAreDecodedAfterSplitting() throws {
        let match = try router.match(method: "DELETE", rawPath: "/apps/d1/branches/feature%2Fx/jobs/3/stop")
        #expect(match == .init(operation: .stopJob, labels: ["appId": "d1", "branchName": "feature/x", "jobId": "3"]))
        let tags = try router.match(method: "GET", rawPath: "/tags/arn%3Aaws%3Aamplify%3Aus-east-1%3A1%3Aapps%2Fd1")
        #expect(tags.labels["resourceArn"] == "arn:aws:amplify:us-east-1:1:apps/d1")
    }

    @Test func sharedPathsAreTellApartByMethod() throws {
        #expect(try router.match(method: "GET", rawPath: "/apps/d1/branches/b/jobs").operation == .listJobs)
        #expect(try router.match(method: "POST", rawPath: "/apps/d1/branches/b/jobs").operation == .startJob)
        #expect(try router.match(method: "GET", rawPath: "/apps/d1/branches/b/jobs/1").operation == .getJob)
        #expect(try router.match(method: "DELETE", rawPath: "/apps/d1/branches/b/jobs/1").operation == .deleteJob)
        #expect(try router.match(method: "POST", rawPath: "/apps/d1/branches/b/deployments/start").operation == .startDeployment)
    }

    @Test func emptyLabelsStayWithTheirOperation() throws {
        let match = try router.match(method: "GET", rawPath: "/apps/d1/branches/b/jobs/")
        #expect(match.operation == .getJob)
        #expect(match.labels["jobId"] == "")
        #expect(try router.match(method: "DELETE", rawPath: "/apps/d1/branches/b/jobs/").operation == .deleteJob)
    }

    @Test func unknownPathsAndMethods() {
        #expect(throws: OperationRouter.Failure.unknownPath) { try router.match(method: "GET", rawPath: "/nothing/here") }
        #expect(throws: OperationRouter.Failure.methodNotAllowed) { try router.match(method: "PUT", rawPath: "/apps") }
        #expect(throws: OperationRouter.Failure.badEncoding) { try router.match(method: "GET", rawPath: "/apps/%ZZ") }
    }
}
