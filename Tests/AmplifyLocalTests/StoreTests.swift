import AmplifyCore
import AmplifyStore
import Foundation
import Testing

/// One suite for every Store implementation.
@Suite struct StoreTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case sqliteMemory, sqliteFile, postgres
        var testDescription: String { self.rawValue }

        /// SQLite always; PostgreSQL when `AMPLIFY_LOCAL_TEST_POSTGRES` names a server (scripts/test starts one).
        static var available: [Kind] {
            TestPostgres.server == nil ? [.sqliteMemory, .sqliteFile] : allCases
        }

        /// Runs `body` with a new, empty store of this kind.
        func withStore(_ body: (any Store) async throws -> Void) async throws {
            switch self {
            case .sqliteMemory:
                try await body(try SQLiteStore(path: nil))
            case .sqliteFile:
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("amplify-store-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(at: directory) }
                try await body(try SQLiteStore(path: directory.appendingPathComponent("db.sqlite").path))
            case .postgres:
                try await TestPostgres.withDatabase { location in
                    try await TestPostgres.withStore(location) { store in try await body(store) }
                }
            }
        }
    }

    let scope = Fixtures.scope
    let now = Date(timeIntervalSince1970: 1_700_000_000)

    func seed(_ store: any Store, appId: String = "d1abc", branch: String = "main", repository: String? = "/tmp/repo") async throws {
        var app = App(scope: scope, appId: appId, name: "app", now: now)
        app.repository = repository
        try await store.createApp(app)
        try await store.createBranch(Branch(scope: scope, appId: appId, branchName: branch, now: now))
    }

    /// The app with `branches`, each with a PENDING job 1, started in that order.
    func seedPendingJobs(_ store: any Store, branches: [String]) async throws {
        try await seed(store, branch: branches[0])
        for branch in branches.dropFirst() {
            try await store.createBranch(Branch(scope: scope, appId: "d1abc", branchName: branch, now: now))
        }
        for branch in branches {
            _ = try await store.startJob(scope, appId: "d1abc", branchName: branch, JobRequest(jobType: .release), now: now)
        }
    }

    func key(_ jobId: Int, appId: String = "d1abc", branch: String = "main") -> JobKey {
        JobKey(scope: scope, appId: appId, branchName: branch, jobId: jobId)
    }

    func finish(_ store: any Store, _ key: JobKey) async throws {
        _ = try await store.updateJob(key) { [now] job in
            try job.stop(at: now)
            try job.apply(.cancelled, at: now)
        }
    }

    @Test(arguments: Kind.available) func stateLoadsWholeOrNotAtAll(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seed(store)
            let job = try await store.startJob(scope, appId: "d1abc", branchName: "main", JobRequest(jobType: .release), now: now)
            try await finish(store, job.key)
            _ = try await store.updateTags(scope, of: .job(job.key)) { $0["run"] = "1" }
            try await store.createWebhook(Webhook(scope: scope, appId: "d1abc", branchName: "main", description: "ci", now: now))
            var domain = DomainAssociation(scope: scope, appId: "d1abc", domainName: "example.com", now: now)
            domain.subDomainSettings = [.init(prefix: "www", branchName: "main")]
            domain.outcome = .stopAt(.pendingVerification)
            try await store.createDomainAssociation(domain)
            try await store.createBackendEnvironment(
                BackendEnvironment(scope: scope, appId: "d1abc", environmentName: "prod", stackName: "s", deploymentArtifacts: nil, now: now)
            )
            let snapshot = try await store.snapshot(scope)
            #expect(snapshot.apps.count == 1 && snapshot.apps[0].branches[0].jobs[0].tags == ["run": "1"])
            await #expect(throws: AmplifyError.self) { try await store.load(snapshot, skipIfHeld: false) }
            #expect(try await store.load(snapshot, skipIfHeld: true) == false)

            try await store.reset()
            var broken = snapshot
            broken.apps.append(snapshot.moved(to: Scope(account: "111111111111", region: "us-east-1")).apps[0])
            broken.apps[1].webhooks[0].branchName = "nope"
            await #expect(throws: AmplifyError.self) { try await store.load(broken, skipIfHeld: false) }
            #expect(try await store.listApps(scope, after: nil, limit: 10).items.isEmpty)

            #expect(try await store.load(snapshot, skipIfHeld: false))
            #expect(try await store.snapshot(scope) == snapshot)
            let next = try await store.startJob(scope, appId: "d1abc", branchName: "main", JobRequest(jobType: .release), now: now)
            #expect(next.key.jobId == 2)
        }
    }

    @Test(arguments: Kind.available) func appsRoundTripAndStayInTheirScope(kind: Kind) async throws {
        try await kind.withStore { store in
            var app = App(scope: scope, appId: "d1abc", name: "app", now: now)
            app.environmentVariables = ["A": "1"]
            app.customRules = [CustomRule(source: "/<*>", target: "/index.html", status: "404-200")]
            try await store.createApp(app)
            #expect(try await store.app(scope, appId: "d1abc") == app)
            let other = Scope(account: "000000000000", region: "eu-west-2")
            await #expect(throws: AmplifyError.appNotFound("d1abc")) { try await store.app(other, appId: "d1abc") }
            #expect(try await store.listApps(other, after: nil, limit: 10).items.isEmpty)
            let updated = try await store.updateApp(scope, appId: "d1abc") { $0.name = "renamed" }
            #expect(updated.name == "renamed")
            #expect(try await store.app(scope, appId: "d1abc").name == "renamed")
        }
    }

    @Test(arguments: Kind.available) func failedUpdatesChangeNothing(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seed(store)
            await #expect(throws: AmplifyError.self) {
                try await store.updateApp(scope, appId: "d1abc") { app in
                    app.name = "half"
                    throw AmplifyError.badRequest("no")
                }
            }
            #expect(try await store.app(scope, appId: "d1abc").name == "app")
        }
    }

    @Test(arguments: Kind.available) func branchNamesAreUniquePerApp(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seed(store)
            await #expect(throws: AmplifyError.badRequest("Branch main already exists.")) {
                try await store.createBranch(Branch(scope: scope, appId: "d1abc", branchName: "main", now: now))
            }
            await #expect(throws: AmplifyError.appNotFound("d9")) {
                try await store.createBranch(Branch(scope: scope, appId: "d9", branchName: "main", now: now))
            }
        }
    }

    @Test(arguments: Kind.available) func jobIdsCountUpAndAreNeverReused(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seed(store)
            let first = try await store.startJob(scope, appId: "d1abc", branchName: "main", JobRequest(jobType: .release), now: now)
            #expect(first.key.jobId == 1)
            #expect(first.status == .pending)
            try await finish(store, first.key)
            _ = try await store.deleteFinishedJob(first.key)
            let second = try await store.startJob(scope, appId: "d1abc", branchName: "main", JobRequest(jobType: .release), now: now)
            #expect(second.key.jobId == 2)
            let branch = try await store.branch(scope, appId: "d1abc", branchName: "main")
            #expect(branch.totalNumberOfJobs == 2)
            #expect(branch.activeJobId == 2)
        }
    }

    @Test(arguments: Kind.available) func oneActiveJobPerBranch(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seed(store)
            _ = try await store.startJob(scope, appId: "d1abc", branchName: "main", JobRequest(jobType: .release), now: now)
            await #expect(throws: AmplifyError.limitExceeded("The requested branch main already have pending or running jobs")) {
                try await store.startJob(scope, appId: "d1abc", branchName: "main", JobRequest(jobType: .release), now: now)
            }
            #expect(try await store.branch(scope, appId: "d1abc", branchName: "main").totalNumberOfJobs == 1)
            try await finish(store, key(1))
            let next = try await store.startJob(scope, appId: "d1abc", branchName: "main", JobRequest(jobType: .release), now: now)
            #expect(next.key.jobId == 2)
        }
    }

    /// Pushes: each commit builds once however often it is reported, one waits while a job runs and builds when it ends.
    @Test(arguments: Kind.available) func pushesBuildOnceAndWaitForTheJobInProgress(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seed(store)
            let first = GitCommit(id: String(repeating: "a", count: 40), message: "one", time: now)
            let built = try await store.receivePush(scope, appId: "d1abc", branchName: "main", .commit(first), now: now)
            guard case .built(let job) = built else { Issue.record("expected a build, got \(built)"); return }
            #expect(job.jobType == .webHook && job.commitId == first.id && job.commitMessage == "one")
            #expect(try await store.receivePush(scope, appId: "d1abc", branchName: "main", .commit(first), now: now) == .seen)

            let second = GitCommit(id: String(repeating: "b", count: 40), message: "two", time: now)
            let third = GitCommit(id: String(repeating: "c", count: 40), message: "three", time: now)
            #expect(try await store.receivePush(scope, appId: "d1abc", branchName: "main", .commit(second), now: now) == .waiting)
            #expect(try await store.receivePush(scope, appId: "d1abc", branchName: "main", .commit(third), now: now) == .waiting)
            #expect(try await store.receivePush(scope, appId: "d1abc", branchName: "main", .followUp, now: now) == .waiting)
            #expect(try await store.branch(scope, appId: "d1abc", branchName: "main").pendingPush == third)
            // Found without reading every branch: one whose text holds the member's name is not taken for one.
            var decoy = Branch(scope: scope, appId: "d1abc", branchName: "decoy", now: now)
            decoy.description = #"{"pendingPush":{"id":"x"}}"#
            try await store.createBranch(decoy)
            #expect(try await store.branchesWithPendingPush(scope, appId: "d1abc").map(\.branchName) == ["main"])
            try await finish(store, job.key)
            let followUp = try await store.receivePush(scope, appId: "d1abc", branchName: "main", .followUp, now: now)
            guard case .built(let next) = followUp else { Issue.record("expected the follow-up, got \(followUp)"); return }
            #expect(next.key.jobId == 2 && next.commitId == third.id)
            #expect(try await store.receivePush(scope, appId: "d1abc", branchName: "main", .followUp, now: now) == .seen)
            #expect(try await store.branch(scope, appId: "d1abc", branchName: "main").pendingPush == nil)
            #expect(try await store.branchesWithPendingPush(scope, appId: "d1abc").isEmpty)

            try await finish(store, next.key)
            let skipped = GitCommit(id: String(repeating: "d", count: 40), message: "typo [skip-cd]", time: now)
            #expect(try await store.receivePush(scope, appId: "d1abc", branchName: "main", .commit(skipped), now: now)
                == .skipped("the commit message ends in [skip-cd]"))
            #expect(try await store.branch(scope, appId: "d1abc", branchName: "main").totalNumberOfJobs == 2)
            await #expect(throws: AmplifyError.branchNotFound("other")) {
                try await store.receivePush(scope, appId: "d1abc", branchName: "other", .commit(first), now: now)
            }
        }
    }

    /// Readings of a repository are recorded only over the one recorded before (or none), and only for the app's repository.
    @Test(arguments: Kind.available) func refsAreRecordedOverTheReadingBefore(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seed(store)
            try await seed(store, appId: "d2none", repository: nil)
            try await seed(store, appId: "d3empty", repository: "")
            _ = try await store.updateApp(scope, appId: "d2none") { $0.description = #""repository":"/tmp/repo""# }
            var followed = try await store.claimFollowedRepositories(node: "a", leaseUntil: now.addingTimeInterval(30), now: now)
            #expect(followed.map(\.app.appId) == ["d1abc"])
            #expect(followed.first?.refs == nil)
            let one = GitRefs(branches: ["main": String(repeating: "a", count: 40)], defaultBranch: "main")
            var two = one
            two.branches["feature"] = String(repeating: "b", count: 40)
            #expect(try await store.recordRefs(scope, appId: "d1abc", repository: "/tmp/repo", refs: one, expected: nil))
            #expect(!(try await store.recordRefs(scope, appId: "d1abc", repository: "/tmp/repo", refs: two, expected: nil)))
            #expect(!(try await store.recordRefs(scope, appId: "d1abc", repository: "/elsewhere", refs: two, expected: one)))
            #expect(try await store.recordRefs(scope, appId: "d1abc", repository: "/tmp/repo", refs: two, expected: one))
            followed = try await store.claimFollowedRepositories(node: "a", leaseUntil: now.addingTimeInterval(30), now: now)
            #expect(followed.first?.refs == two)
            // Another repository starts following afresh.
            _ = try await store.updateApp(scope, appId: "d1abc") { $0.repository = "/tmp/other" }
            followed = try await store.claimFollowedRepositories(node: "a", leaseUntil: now.addingTimeInterval(30), now: now)
            #expect(followed.first?.refs == nil)
        }
    }

    /// With several nodes, one reads each repository until its lease runs out.
    @Test func followingLeasesGoToOneNodeAtATime() async throws {
        guard TestPostgres.server != nil else { return }
        try await Kind.postgres.withStore { store in
            try await seed(store)
            let lease = now.addingTimeInterval(30)
            #expect(try await store.claimFollowedRepositories(node: "a", leaseUntil: lease, now: now).count == 1)
            #expect(try await store.claimFollowedRepositories(node: "b", leaseUntil: lease, now: now).isEmpty)
            #expect(try await store.claimFollowedRepositories(node: "a", leaseUntil: lease, now: now).count == 1)
            #expect(try await store.claimFollowedRepositories(node: "b", leaseUntil: lease.addingTimeInterval(30), now: lease.addingTimeInterval(1)).count == 1)
        }
    }

    /// Many writers at once (PostgreSQL's pool gives each its own connection): one StartJob per branch
    /// wins, the job ids have no gaps, and every pending job is claimed exactly once.
    @Test(arguments: Kind.available) func concurrentStartsAndClaimsKeepTheRules(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seed(store, branch: "b0")
            for index in 1..<8 {
                try await store.createBranch(Branch(scope: scope, appId: "d1abc", branchName: "b\(index)", now: now))
            }
            for round in 1...3 {
                let started = await withTaskGroup(of: Int?.self) { group in
                    for _ in 0..<12 {
                        group.addTask { [scope, now] in
                            try? await store.startJob(scope, appId: "d1abc", branchName: "b0", JobRequest(jobType: .release), now: now).key.jobId
                        }
                    }
                    return await group.reduce(into: [Int]()) { if let id = $1 { $0.append(id) } }
                }
                #expect(started == [round])
                try await finish(store, key(round, branch: "b0"))
            }
            for index in 1..<8 {
                _ = try await store.startJob(scope, appId: "d1abc", branchName: "b\(index)", JobRequest(jobType: .release), now: now)
            }
            let claimed = await withTaskGroup(of: JobKey?.self) { group in
                for node in 0..<12 {
                    group.addTask { [now] in try? await store.claimNextPendingJob(node: "n\(node)", leaseUntil: now + 30, now: now)?.key }
                }
                return await group.reduce(into: [JobKey]()) { if let key = $1 { $0.append(key) } }
            }
            #expect(claimed.count == 7)
            #expect(Set(claimed).count == 7)
            #expect(try await store.claimNextPendingJob(node: "late", leaseUntil: now + 30, now: now) == nil)
        }
    }

    /// NUL characters, which PostgreSQL's text refuses, are replaced there rather than failing the write. (The
    /// API refuses them and build logs replace them, so only a caller of the store itself can send one; SQLite
    /// cuts text at them.)
    @Test(arguments: Kind.available) func nulCharactersDoNotFailAWrite(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seed(store, branch: "a\u{0}b")
            let request = JobRequest(jobType: .release, commitMessage: "fix\u{0}it")
            let job = try await store.startJob(scope, appId: "d1abc", branchName: "a\u{0}b", request, now: now)
            _ = try await store.updateJob(job.key, log: StepLog(step: "BUILD", text: "l\u{0}g")) { _ in }
            #expect(try await store.branch(scope, appId: "d1abc", branchName: "a\u{0}b").branchName == "a\u{0}b")
            guard kind == .postgres else { return }
            #expect(try await store.job(job.key).commitMessage == "fix\u{FFFD}it")
            #expect(try await store.log(job.key, step: "BUILD") == "l\u{FFFD}g")
            await #expect(throws: AmplifyError.branchNotFound("a\u{0}c")) { try await store.branch(scope, appId: "d1abc", branchName: "a\u{0}c") }
        }
    }

    /// A node's renewal says which of its builds go on; a lease that ran out makes the job abandoned.
    @Test(arguments: Kind.available) func leasesTellANodeWhichBuildsGoOn(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seedPendingJobs(store, branches: ["a", "b", "c"])
            _ = try await store.claimNextPendingJob(node: "n1", leaseUntil: now + 30, now: now)
            _ = try await store.claimNextPendingJob(node: "n2", leaseUntil: now + 10, now: now)
            #expect(try await store.renewLeases(node: "n1", until: now + 60) == [key(1, branch: "a")])
            #expect(try await store.renewLeases(node: "n2", until: now + 20) == [key(1, branch: "b")])
            #expect(try await store.renewLeases(node: "n3", until: now + 60) == [])
            // Stopped on any node: its builder no longer goes on, but still holds it until the build stops.
            _ = try await store.updateJob(key(1, branch: "a")) { [now] in try $0.stop(at: now) }
            #expect(try await store.renewLeases(node: "n1", until: now + 60) == [])
            // b's lease ends at +20, a's at +60; c was never claimed (PENDING), so it is nobody's to abandon.
            #expect(try await store.finishAbandonedJobs(leaseEndedBefore: now + 15, orClaimedBy: "n3", reason: "gone", now: now) == 0)
            #expect(try await store.finishAbandonedJobs(leaseEndedBefore: now + 30, orClaimedBy: nil, reason: "gone", now: now) == 1)
            #expect(try await store.job(key(1, branch: "b")).status == .failed)
            #expect(try await store.job(key(1, branch: "b")).steps.last?.statusReason == "gone")
            // A node starting again under its name ends what it held at once, lease or not.
            #expect(try await store.finishAbandonedJobs(leaseEndedBefore: now, orClaimedBy: "n1", reason: "gone", now: now) == 1)
            #expect(try await store.job(key(1, branch: "a")).status == .cancelled)
            #expect(try await store.job(key(1, branch: "c")).status == .pending)
        }
    }

    /// A job stopped before any node claimed it ends CANCELLED where the stop arrived; a claimed one is
    /// left to its builder.
    @Test(arguments: Kind.available) func onlyUnclaimedJobsAreCancelledForTheirBuilder(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seedPendingJobs(store, branches: ["a"])
            _ = try await store.claimNextPendingJob(node: "n1", leaseUntil: now + 30, now: now)
            try await store.createBranch(Branch(scope: scope, appId: "d1abc", branchName: "b", now: now))
            _ = try await store.startJob(scope, appId: "d1abc", branchName: "b", JobRequest(jobType: .release), now: now)
            for branch in ["a", "b"] {
                _ = try await store.updateJob(key(1, branch: branch)) { [now] in try $0.stop(at: now) }
                try await store.cancelUnclaimedJob(key(1, branch: branch), now: now)
            }
            #expect(try await store.job(key(1, branch: "a")).status == .cancelling)
            #expect(try await store.job(key(1, branch: "b")).status == .cancelled)
            await #expect(throws: AmplifyError.jobNotFound("9")) { try await store.cancelUnclaimedJob(key(9, branch: "b"), now: now) }
        }
    }

    @Test(arguments: Kind.available) func retryCopiesTheCommitOfAnExistingJob(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seed(store)
            let request = JobRequest(jobType: .release, commitId: "abc123", commitMessage: "fix")
            _ = try await store.startJob(scope, appId: "d1abc", branchName: "main", request, now: now)
            try await finish(store, key(1))
            let retry = try await store.startJob(scope, appId: "d1abc", branchName: "main", JobRequest(jobType: .retry, jobId: 1), now: now)
            #expect(retry.jobType == .retry)
            #expect(retry.commitId == "abc123")
            #expect(retry.key.jobId == 2)
            try await finish(store, key(2))
            await #expect(throws: AmplifyError.jobNotFound("9")) {
                try await store.startJob(scope, appId: "d1abc", branchName: "main", JobRequest(jobType: .retry, jobId: 9), now: now)
            }
        }
    }

    @Test(arguments: Kind.available) func releaseNeedsARepository(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seed(store, repository: nil)
            await #expect(throws: AmplifyError.self) {
                try await store.startJob(scope, appId: "d1abc", branchName: "main", JobRequest(jobType: .release), now: now)
            }
            #expect(try await store.branch(scope, appId: "d1abc", branchName: "main").totalNumberOfJobs == 0)
        }
    }

    @Test(arguments: Kind.available) func deleteRefusesJobsInProgress(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seed(store)
            _ = try await store.startJob(scope, appId: "d1abc", branchName: "main", JobRequest(jobType: .release), now: now)
            await #expect(throws: AmplifyError.badRequest("Job 1 is PENDING and cannot be deleted. Stop the job first.")) {
                try await store.deleteFinishedJob(key(1))
            }
            _ = try await store.updateJob(key(1), log: StepLog(step: "BUILD", text: "one\n")) { _ in }
            _ = try await store.updateJob(key(1), log: StepLog(step: "BUILD", text: "two\n")) { _ in }
            #expect(try await store.log(key(1), step: "BUILD") == "one\ntwo\n")
            try await finish(store, key(1))
            let deleted = try await store.deleteFinishedJob(key(1))
            #expect(deleted.status == .cancelled)
            await #expect(throws: AmplifyError.jobNotFound("1")) { try await store.job(key(1)) }
            #expect(try await store.log(key(1), step: "BUILD") == nil)
        }
    }

    @Test(arguments: Kind.available) func listJobsIsNewestFirstAndPaged(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seed(store)
            for id in 1...7 {
                _ = try await store.startJob(scope, appId: "d1abc", branchName: "main", JobRequest(jobType: .release), now: now)
                try await finish(store, key(id))
            }
            var ids: [Int] = []
            var token: PageToken?
            repeat {
                let page = try await store.listJobs(scope, appId: "d1abc", branchName: "main", after: token, limit: 3)
                ids += page.items.map(\.key.jobId)
                token = try page.nextToken.map { try PageToken(decoding: $0, list: .jobs) }
            } while token != nil
            #expect(ids == [7, 6, 5, 4, 3, 2, 1])
        }
    }

    @Test(arguments: Kind.available) func deletingABranchOrAppCascades(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seed(store)
            _ = try await store.startJob(scope, appId: "d1abc", branchName: "main", JobRequest(jobType: .release), now: now)
            _ = try await store.updateJob(key(1), log: StepLog(step: "BUILD", text: "x")) { _ in }
            _ = try await store.deleteBranch(scope, appId: "d1abc", branchName: "main")
            await #expect(throws: AmplifyError.branchNotFound("main")) { try await store.job(key(1)) }
            // A branch of the same name starts again at job 1: it is a new branch.
            try await store.createBranch(Branch(scope: scope, appId: "d1abc", branchName: "main", now: now))
            #expect(try await store.startJob(scope, appId: "d1abc", branchName: "main", JobRequest(jobType: .release), now: now).key.jobId == 1)
            _ = try await store.deleteApp(scope, appId: "d1abc")
            await #expect(throws: AmplifyError.appNotFound("d1abc")) { try await store.branch(scope, appId: "d1abc", branchName: "main") }
            #expect(try await store.claimNextPendingJob(node: "n1", leaseUntil: now + 30, now: now) == nil)
        }
    }

    @Test(arguments: Kind.available) func testArtifactsArePagedFoundByIdAndGoWithTheirJob(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seed(store)
            _ = try await store.startJob(scope, appId: "d1abc", branchName: "main", JobRequest(jobType: .release), now: now)
            let files = (1...5).map { TestArtifact(fileName: "reports/\($0).txt", bytes: Int64($0), kind: .file) }
            let config = TestArtifact(fileName: "mochawesome.json", bytes: 9, kind: .config)
            let shot = TestArtifact(fileName: "screenshots/a/b.png", bytes: 3, kind: .screenshot)
            try await store.recordTestArtifacts(key(1), [config] + files + [shot])
            let first = try await store.testArtifacts(key(1), kinds: TestArtifact.listed, after: nil, limit: 4)
            #expect(first.items == Array(files.prefix(4)))
            let token = try PageToken(decoding: try #require(first.nextToken), list: .artifacts)
            let rest = try await store.testArtifacts(key(1), kinds: TestArtifact.listed, after: token, limit: 4)
            #expect(rest.items == [files[4], shot] && rest.nextToken == nil)
            #expect(try await store.testArtifacts(key(1), kinds: [.config, .screenshot], after: nil, limit: 10).items == [config, shot])
            let found = try await store.testArtifact(scope, artifactId: shot.artifactId)
            #expect(found.key == key(1) && found.artifact == shot)
            let elsewhere = Scope(account: "210987654321", region: scope.region)
            await #expect(throws: AmplifyError.artifactNotFound(shot.artifactId)) { try await store.testArtifact(elsewhere, artifactId: shot.artifactId) }
            await #expect(throws: AmplifyError.jobNotFound("2")) { try await store.recordTestArtifacts(key(2), files) }
            // Recording again replaces; the job's deletion takes its rows.
            try await store.recordTestArtifacts(key(1), [shot])
            #expect(try await store.testArtifacts(key(1), kinds: TestArtifact.listed, after: nil, limit: 10).items == [shot])
            try await finish(store, key(1))
            _ = try await store.deleteFinishedJob(key(1))
            await #expect(throws: AmplifyError.artifactNotFound(shot.artifactId)) { try await store.testArtifact(scope, artifactId: shot.artifactId) }
            await #expect(throws: AmplifyError.jobNotFound("1")) {
                try await store.testArtifacts(key(1), kinds: TestArtifact.listed, after: nil, limit: 10)
            }
        }
    }

    @Test(arguments: Kind.available) func secretsAreSetPerAppOrBranchAndGoWithTheApp(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seed(store)
            func secret(_ name: String, branch: String? = nil) -> BuildSecret {
                BuildSecret(scope: scope, appId: "d1abc", branchName: branch, name: name, updatedAt: now)
            }
            try await store.putSecret(secret("TOKEN"), sealed: [1, 2, 3])
            try await store.putSecret(secret("Shared"), sealed: [4])
            try await store.putSecret(secret("Shared", branch: "feature/x"), sealed: [5])
            try await store.putSecret(secret("TOKEN"), sealed: [9, 9])  // replaces
            let all = try await store.secrets(scope, appId: "d1abc")
            #expect(all.map { "\($0.secret.branchName ?? "-")/\($0.secret.name)=\($0.sealed)" } == ["-/Shared=[4]", "-/TOKEN=[9, 9]", "feature/x/Shared=[5]"])
            #expect(BuildSecret.effective(all.map { ($0.secret, $0.sealed) }, branchName: "feature/x") == ["TOKEN": [9, 9], "Shared": [5]])
            #expect(BuildSecret.effective(all.map { ($0.secret, $0.sealed) }, branchName: "main") == ["TOKEN": [9, 9], "Shared": [4]])
            await #expect(throws: AmplifyError.secretNotFound("TOKEN")) {
                try await store.deleteSecret(scope, appId: "d1abc", branchName: "main", name: "TOKEN")
            }
            try await store.deleteSecret(scope, appId: "d1abc", branchName: "feature/x", name: "Shared")
            #expect(try await store.secrets(scope, appId: "d1abc").count == 2)
            await #expect(throws: AmplifyError.appNotFound("nope")) { try await store.putSecret(BuildSecret(scope: scope, appId: "nope", branchName: nil, name: "A", updatedAt: now), sealed: [1]) }
            _ = try await store.deleteApp(scope, appId: "d1abc")
            try await seed(store)
            #expect(try await store.secrets(scope, appId: "d1abc").isEmpty)
        }
    }

    @Test(arguments: Kind.available) func aBranchsOwnSecretsGoWithDeleteBranch(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seed(store, branch: "feature")
            try await store.createBranch(Branch(scope: scope, appId: "d1abc", branchName: "feature/x", now: now))
            func secret(_ name: String, branch: String?) -> BuildSecret {
                BuildSecret(scope: scope, appId: "d1abc", branchName: branch, name: name, updatedAt: now)
            }
            try await store.putSecret(secret("TOKEN", branch: nil), sealed: [1])
            try await store.putSecret(secret("TOKEN", branch: "feature"), sealed: [2])
            try await store.putSecret(secret("KEY", branch: "feature"), sealed: [3])
            try await store.putSecret(secret("TOKEN", branch: "feature/x"), sealed: [4])
            _ = try await store.deleteBranch(scope, appId: "d1abc", branchName: "feature")
            func listed() async throws -> [String] {
                try await store.secrets(scope, appId: "d1abc").map { "\($0.secret.branchName ?? "-")/\($0.secret.name)=\($0.sealed)" }
            }
            #expect(try await listed() == ["-/TOKEN=[1]", "feature/x/TOKEN=[4]"])
            // A branch made again under the name starts without the old one's secrets: its builds get the app's.
            try await store.createBranch(Branch(scope: scope, appId: "d1abc", branchName: "feature", now: now))
            let all = try await store.secrets(scope, appId: "d1abc")
            #expect(BuildSecret.effective(all.map { ($0.secret, $0.sealed) }, branchName: "feature") == ["TOKEN": [1]])
            // A refused deletion (no such branch) takes nothing, not even secrets set under its name.
            try await store.putSecret(secret("TOKEN", branch: "ghost"), sealed: [5])
            await #expect(throws: AmplifyError.branchNotFound("ghost")) { try await store.deleteBranch(scope, appId: "d1abc", branchName: "ghost") }
            #expect(try await listed() == ["-/TOKEN=[1]", "feature/x/TOKEN=[4]", "ghost/TOKEN=[5]"])
        }
    }

    @Test(arguments: Kind.available) func claimsTakeTheOldestPendingJobOnce(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seedPendingJobs(store, branches: ["a", "b"])
            let first = try #require(try await store.claimNextPendingJob(node: "n1", leaseUntil: now + 30, now: now))
            #expect(first.key.branchName == "a")
            #expect(first.status == .provisioning)
            let second = try #require(try await store.claimNextPendingJob(node: "n1", leaseUntil: now + 30, now: now))
            #expect(second.key.branchName == "b")
            #expect(try await store.claimNextPendingJob(node: "n1", leaseUntil: now + 30, now: now) == nil)
        }
    }

    /// Runs the branch's next job to RUNNING, ready for its site to be published.
    func running(_ store: any Store, branch: String = "main") async throws -> JobKey {
        let job = try await store.startJob(scope, appId: "d1abc", branchName: branch, JobRequest(jobType: .release), now: now)
        _ = try await store.claimNextPendingJob(node: "n1", leaseUntil: now + 30, now: now)
        _ = try await store.updateJob(job.key) { [now] in try $0.apply(.run, at: now) }
        return job.key
    }

    @Test(arguments: Kind.available) func publishedSitesAreFoundUntilTheirJobOrBranchGoes(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seed(store)
            #expect(try await store.site(appId: "d1abc", displayName: "main").map { $0.branch.liveJobId ?? 0 } == 0)
            let first = try await running(store)
            #expect(try await store.publishSite(first, now: now))
            #expect(try await store.site(appId: "d1abc", displayName: "main")?.branch.liveJobId == 1)
            // The production branch answers the bare app host.
            #expect(try await store.site(appId: "d1abc", displayName: nil)?.branch.branchName == "main")
            #expect(try await store.app(scope, appId: "d1abc").productionBranch?.branchName == "main")
            #expect(try await store.site(appId: "d9none", displayName: "main") == nil)
            // A job that is no longer running does not go live.
            _ = try await store.updateJob(first) { [now] in try $0.apply(.succeed, at: now) }
            #expect(try await store.publishSite(first, now: now) == false)
            // Deleting the live job takes the site down, in the same transaction as the delete.
            _ = try await store.deleteFinishedJob(first)
            #expect(try await store.site(appId: "d1abc", displayName: "main")?.branch.liveJobId == nil)
            #expect(try await store.app(scope, appId: "d1abc").productionBranch == nil)
            let second = try await running(store)
            #expect(try await store.publishSite(second, now: now))
            _ = try await store.deleteBranch(scope, appId: "d1abc", branchName: "main")
            #expect(try await store.site(appId: "d1abc", displayName: "main") == nil)
            #expect(try await store.app(scope, appId: "d1abc").productionBranch == nil)
        }
    }

    @Test(arguments: Kind.available) func logsGrowInPiecesAndComeBackWhole(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seed(store)
            let job = try await running(store)
            #expect(try await store.log(job, step: "BUILD") == nil)
            for line in 0..<100 {
                _ = try await store.updateJob(job, log: StepLog(step: "BUILD", text: "line \(line)\n")) { _ in }
            }
            #expect(try await store.log(job, step: "BUILD") == (0..<100).map { "line \($0)\n" }.joined())
            #expect(try await store.log(job, step: "DEPLOY") == nil)
        }
    }

    @Test(arguments: Kind.available) func logsAreReadFromAnOffset(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seed(store)
            let job = try await running(store)
            #expect(try await store.log(job, step: "BUILD", from: 0) == nil)
            let pieces = ["héllo\n", "wörld\n", "🚀 done\n"]
            for piece in pieces {
                _ = try await store.updateJob(job, log: StepLog(step: "BUILD", text: piece)) { _ in }
            }
            let whole = Array(pieces.joined().utf8)
            #expect(try await store.log(job, step: "BUILD", from: 0) == StepLogTail(bytes: whole, total: whole.count))
            for offset in [1, 6, 7, 13, whole.count - 1] {
                #expect(try await store.log(job, step: "BUILD", from: offset) == StepLogTail(bytes: Array(whole[offset...]), total: whole.count))
            }
            #expect(try await store.log(job, step: "BUILD", from: whole.count) == StepLogTail(bytes: [], total: whole.count))
            #expect(try await store.log(job, step: "BUILD", from: whole.count + 50) == StepLogTail(bytes: [], total: whole.count))
            #expect(try await store.log(job, step: "VERIFY", from: 0) == nil)

            // A large write is kept in pieces; reading from an offset still gives exactly the bytes after it.
            let large = String(repeating: "ab🚀\n", count: 30_000)
            _ = try await store.updateJob(job, log: StepLog(step: "DEPLOY", text: large)) { _ in }
            let bytes = Array(large.utf8)
            for offset in [0, 65_535, 65_536, 100_001, bytes.count - 3] {
                #expect(try await store.log(job, step: "DEPLOY", from: offset) == StepLogTail(bytes: Array(bytes[offset...]), total: bytes.count))
            }
        }
    }

    @Test(arguments: Kind.available) func interruptedJobsEndWithAReason(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seedPendingJobs(store, branches: ["a", "b", "c"])
            _ = try await store.claimNextPendingJob(node: "n1", leaseUntil: now + 30, now: now)  // a: PROVISIONING
            _ = try await store.claimNextPendingJob(node: "n1", leaseUntil: now + 30, now: now)  // b: PROVISIONING, then stopped
            _ = try await store.updateJob(key(1, branch: "b")) { [now] in try $0.stop(at: now) }
            #expect(try await store.finishAbandonedJobs(leaseEndedBefore: .distantFuture, orClaimedBy: nil, reason: "server died", now: now) == 2)
            let a = try await store.job(key(1, branch: "a"))
            #expect(a.status == .failed)
            #expect(a.steps.last?.statusReason == "server died")
            #expect(try await store.job(key(1, branch: "b")).status == .cancelled)
            #expect(try await store.job(key(1, branch: "c")).status == .pending)
        }
    }

    @Test(arguments: Kind.available) func webhooksFollowTheirBranch(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seed(store)
            try await store.createBranch(Branch(scope: scope, appId: "d1abc", branchName: "dev", now: now))
            let webhook = Webhook(scope: scope, appId: "d1abc", branchName: "main", description: "", now: now)
            try await store.createWebhook(webhook)
            #expect(try await store.webhook(scope, webhookId: webhook.webhookId) == webhook)
            #expect(try await store.webhook(nil, webhookId: webhook.webhookId) == webhook)
            await #expect(throws: AmplifyError.webhookNotFound(webhook.webhookId)) {
                try await store.webhook(Scope(account: "1", region: "x"), webhookId: webhook.webhookId)
            }
            await #expect(throws: AmplifyError.branchNotFound("ghost")) {
                try await store.updateWebhook(scope, webhookId: webhook.webhookId) { $0.branchName = "ghost" }
            }
            let moved = try await store.updateWebhook(scope, webhookId: webhook.webhookId) { $0.branchName = "dev" }
            #expect(moved.branchName == "dev")
            _ = try await store.deleteBranch(scope, appId: "d1abc", branchName: "dev")
            await #expect(throws: AmplifyError.self) { try await store.webhook(scope, webhookId: webhook.webhookId) }
        }
    }

    @Test(arguments: Kind.available) func backendEnvironmentsAndTags(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seed(store)
            let environment = BackendEnvironment(scope: scope, appId: "d1abc", environmentName: "dev", stackName: nil, deploymentArtifacts: nil, now: now)
            try await store.createBackendEnvironment(environment)
            await #expect(throws: AmplifyError.badRequest("Backend environment dev already exists.")) {
                try await store.createBackendEnvironment(environment)
            }
            #expect(try await store.backendEnvironment(scope, appId: "d1abc", environmentName: "dev") == environment)
            #expect(try await store.listBackendEnvironments(scope, appId: "d1abc", environmentName: "prod", after: nil, limit: 10).items.isEmpty)
            _ = try await store.startJob(scope, appId: "d1abc", branchName: "main", JobRequest(jobType: .release), now: now)
            for resource in [TaggedResource.app(appId: "d1abc"), .branch(appId: "d1abc", branchName: "main"), .job(key(1))] {
                #expect(try await store.updateTags(scope, of: resource) { $0["k"] = "v" } == ["k": "v"])
                #expect(try await store.tags(scope, of: resource) == ["k": "v"])
            }
            await #expect(throws: AmplifyError.jobNotFound("2")) { try await store.tags(scope, of: .job(key(2))) }
            _ = try await store.deleteBackendEnvironment(scope, appId: "d1abc", environmentName: "dev")
            await #expect(throws: AmplifyError.backendEnvironmentNotFound("dev")) {
                try await store.backendEnvironment(scope, appId: "d1abc", environmentName: "dev")
            }
        }
    }

    @Test func quotasHoldInsideTheTransaction() async throws {
        let store = try SQLiteStore(path: nil, quotas: Quotas(appsPerRegion: 3, branchesPerApp: 2))
        let results = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<10 {
                group.addTask { [scope, now] in
                    (try? await store.createApp(App(scope: scope, appId: "d\(index)", name: "app", now: now))) != nil
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.filter { $0 }.count == 3)
        try await store.createApp(App(scope: Scope(account: "1", region: "x"), appId: "d99", name: "app", now: now))
        let appId = try #require(try await store.listApps(scope, after: nil, limit: 10).items.first?.appId)
        for name in ["a", "b"] {
            try await store.createBranch(Branch(scope: scope, appId: appId, branchName: name, now: now))
        }
        await #expect(throws: AmplifyError.self) {
            try await store.createBranch(Branch(scope: scope, appId: appId, branchName: "c", now: now))
        }
    }

    @Test(arguments: Kind.available) func resetDropsEverything(kind: Kind) async throws {
        try await kind.withStore { store in
            try await seed(store)
            try await store.reset()
            #expect(try await store.listApps(scope, after: nil, limit: 10).items.isEmpty)
        }
    }

    @Test(arguments: Kind.available) func aScopesResetAndLoadLeaveOtherScopesAlone(kind: Kind) async throws {
        try await kind.withStore { store in
            let other = Scope(account: "111111111111", region: scope.region)
            let otherRegion = Scope(account: scope.account, region: "us-east-1")
            try await seed(store)
            try await store.createApp(App(scope: scope, appId: "d2abc", name: "second", now: now))
            for (tenant, appId) in [(other, "d9a"), (otherRegion, "d9b")] {
                var app = App(scope: tenant, appId: appId, name: "kept", now: now)
                app.repository = "/tmp/repo"
                try await store.createApp(app)
                try await store.createBranch(Branch(scope: tenant, appId: appId, branchName: "main", now: now))
                _ = try await store.startJob(tenant, appId: appId, branchName: "main", JobRequest(jobType: .release), now: now)
                try await store.createWebhook(Webhook(scope: tenant, appId: appId, branchName: "main", description: "ci", now: now))
            }
            let kept = [try await store.snapshot(other), try await store.snapshot(otherRegion)]
            let removed = try await store.reset(scope)
            #expect(removed == ["d1abc", "d2abc"])
            #expect(try await store.listApps(scope, after: nil, limit: 10).items.isEmpty)
            #expect([try await store.snapshot(other), try await store.snapshot(otherRegion)] == kept)
            #expect(try await store.reset(scope).isEmpty)
            // The scope's app count went with it: its quota starts again from nothing.
            try await store.createApp(App(scope: scope, appId: "d3abc", name: "new", now: now))
            #expect(try await store.listApps(scope, after: nil, limit: 10).items.map(\.appId) == ["d3abc"])
            _ = try await store.reset(scope)

            // A load may not take an app id or webhook id another scope holds; with ids of its own, it loads.
            let copy = kept[0].moved(to: scope)
            await #expect(throws: AmplifyError.badRequest("apps.1.app.appId: app id d9a is taken by another account or region's app.")) {
                try await store.load(copy, skipIfHeld: false)
            }
            var renamed = copy
            renamed.apps[0].app.appId = "d7abc"
            for b in renamed.apps[0].branches.indices {
                renamed.apps[0].branches[b].branch.appId = "d7abc"
                for j in renamed.apps[0].branches[b].jobs.indices { renamed.apps[0].branches[b].jobs[j].job.key.appId = "d7abc" }
            }
            renamed.apps[0].webhooks[0].appId = "d7abc"
            await #expect(throws: AmplifyError.self) { try await store.load(renamed, skipIfHeld: false) }
            renamed.apps[0].webhooks[0].webhookId = UUID().uuidString.lowercased()
            #expect(try await store.load(renamed, skipIfHeld: false))
            #expect(try await store.listApps(scope, after: nil, limit: 10).items.map(\.appId) == ["d7abc"])
            #expect([try await store.snapshot(other), try await store.snapshot(otherRegion)] == kept)
        }
    }

    @Test func concurrentWritesAllReturnAndAllStay() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("amplify-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("db.sqlite").path
        do {
            let store = try SQLiteStore(path: path, quotas: Quotas(appsPerRegion: 1000))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<300 {
                    group.addTask { [scope, now] in
                        try await store.createApp(App(scope: scope, appId: "d\(index)", name: "app", now: now))
                    }
                }
                try await group.waitForAll()
            }
        }
        let reopened = try SQLiteStore(path: path)
        #expect(try await reopened.listApps(scope, after: nil, limit: 100).items.count == 100)
        var count = 0
        var token: PageToken?
        repeat {
            let page = try await reopened.listApps(scope, after: token, limit: 100)
            count += page.items.count
            token = try page.nextToken.map { try PageToken(decoding: $0, list: .apps) }
        } while token != nil
        #expect(count == 300)
    }

    @Test func fileStoreKeepsStateAcrossOpens() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("amplify-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("db.sqlite").path
        do {
            let store = try SQLiteStore(path: path)
            try await seed(store)
        }
        let reopened = try SQLiteStore(path: path)
        #expect(try await reopened.branch(scope, appId: "d1abc", branchName: "main").branchName == "main")
    }
}
