import AmplifyCore
import Foundation
import Testing

@Suite struct JobStateMachineTests {
    @Test(arguments: [
        (JobStatus.created, JobStateMachine.Event.enqueue, JobStatus.pending),
        (.pending, .claim, .provisioning),
        (.provisioning, .run, .running),
        (.running, .succeed, .succeed),
        (.running, .fail, .failed),
        (.provisioning, .fail, .failed),
        (.pending, .stop, .cancelling),
        (.provisioning, .stop, .cancelling),
        (.running, .stop, .cancelling),
        (.created, .stop, .cancelling),
        (.cancelling, .cancelled, .cancelled),
    ])
    func legalTransitions(from: JobStatus, event: JobStateMachine.Event, to: JobStatus) throws {
        var machine = JobStateMachine(from)
        try machine.apply(event)
        #expect(machine.status == to)
    }

    @Test func finishedJobsNeverChange() {
        let events: [JobStateMachine.Event] = [.enqueue, .claim, .run, .succeed, .fail, .stop, .cancelled]
        for status in [JobStatus.succeed, .failed, .cancelled] {
            for event in events {
                var machine = JobStateMachine(status)
                #expect(throws: JobStateMachine.IllegalTransition(from: status, event: event)) { try machine.apply(event) }
                #expect(machine.status == status)
            }
        }
    }

    @Test func noShortcuts() {
        #expect(JobStateMachine.next(.pending, on: .succeed) == nil)
        #expect(JobStateMachine.next(.pending, on: .run) == nil)
        #expect(JobStateMachine.next(.cancelling, on: .succeed) == nil)
        #expect(JobStateMachine.next(.cancelling, on: .fail) == nil)
        #expect(JobStateMachine.next(.running, on: .cancelled) == nil)
    }

    @Test func activeStatusesHoldTheBranch() {
        #expect(Set(JobStatus.active) == [.created, .pending, .provisioning, .running, .cancelling])
    }

    @Test func finishingStampsEndTimeAndClosesSteps() throws {
        let start = Date(timeIntervalSince1970: 1_000)
        var job = Job(key: Fixtures.jobKey, jobType: .release, commitId: "HEAD", commitMessage: "", commitTime: start, startTime: start)
        try job.apply(.claim, at: start)
        try job.apply(.run, at: start)
        job.beginStep("BUILD", at: start)
        job.beginStep("DEPLOY", at: start + 5)
        #expect(job.steps.map(\.status) == [.succeed, .running])
        try job.apply(.stop, at: start + 6)
        #expect(job.endTime == nil)
        try job.apply(.cancelled, at: start + 7)
        #expect(job.endTime == start + 7)
        #expect(job.steps.map(\.status) == [.succeed, .cancelled])
        #expect(job.steps[1].endTime == start + 7)
    }

    @Test func failureBeforeAnyStepKeepsItsReasonOnABuildStep() throws {
        let start = Date(timeIntervalSince1970: 1_000)
        var job = Job(key: Fixtures.jobKey, jobType: .release, commitId: "HEAD", commitMessage: "", commitTime: start, startTime: start)
        try job.apply(.claim, at: start)
        try job.apply(.fail, at: start + 1, reason: "server stopped")
        #expect(job.status == .failed)
        #expect(job.steps.count == 1)
        #expect(job.steps[0].stepName == "BUILD")
        #expect(job.steps[0].statusReason == "server stopped")
    }

    @Test func onlyFinishedJobsCanBeDeleted() throws {
        let start = Date(timeIntervalSince1970: 1_000)
        var job = Job(key: Fixtures.jobKey, jobType: .release, commitId: "HEAD", commitMessage: "", commitTime: start, startTime: start)
        #expect(throws: AmplifyError.self) { try job.requireDeletable() }
        try job.stop(at: start)
        #expect(throws: AmplifyError.self) { try job.requireDeletable() }
        try job.apply(.cancelled, at: start)
        try job.requireDeletable()
        #expect(throws: AmplifyError.badRequest("Job 7 is CANCELLED and cannot be stopped.")) { try job.stop(at: start) }
    }
}

enum Fixtures {
    static let scope = Scope(account: "123456789012", region: "eu-west-2")
    static let jobKey = JobKey(scope: scope, appId: "d1abc", branchName: "main", jobId: 7)
}

extension Fixtures {
    /// Waits up to 5 s for `condition`, recording an issue when it is not reached.
    static func wait(until condition: () async throws -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("condition not reached in 5 seconds", sourceLocation: sourceLocation)
    }
}
