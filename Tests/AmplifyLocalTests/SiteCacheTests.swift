@testable import AmplifyCore
import Foundation
import Synchronization
import Testing

/// The sites a node holds of an object store's: fetched once per generation, one fetch at a time, the least recently
/// used dropped past the bound.
struct SiteCacheTests {
    /// What the fetches and drops did, seen from their closures.
    final class Record: Sendable {
        let fetches = Atomic(0)
        let dropped = Mutex<[Int]>([])
    }

    static func key(_ job: Int, branch: String = "main") -> JobKey {
        JobKey(scope: Scope(account: "123456789012", region: "us-east-1"), appId: "d1", branchName: branch, jobId: job)
    }

    @Test func aSiteIsFetchedOncePerGenerationWhoeverAsksAtOnce() async throws {
        let cache = SiteCache(limitBytes: 1 << 20)
        let record = Record()
        try await withThrowingTaskGroup { group in
            for _ in 0..<20 {
                group.addTask {
                    try await cache.fetch(Self.key(1), generation: 1, drop: { _ in }) {
                        record.fetches.add(1, ordering: .relaxed)
                        try await Task.sleep(for: .milliseconds(50))
                        return 100
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(record.fetches.load(ordering: .relaxed) == 1 && cache.bytes == 100)
        #expect(cache.holds(Self.key(1), generation: 1))
        // The branch made again (job ids start over): the old copy is not the one asked for.
        #expect(!cache.holds(Self.key(1), generation: 2))
        try await cache.fetch(Self.key(1), generation: 2, drop: { _ in }) { 300 }
        #expect(cache.holds(Self.key(1), generation: 2) && cache.bytes == 300)
    }

    @Test func pastItsBoundTheLeastRecentlyUsedIdleSitesGo() async throws {
        let cache = SiteCache(limitBytes: 1_000, idleSeconds: 0)
        let record = Record()
        let drop: @Sendable (JobKey) -> Void = { key in record.dropped.withLock { $0.append(key.jobId) } }
        for job in 1...3 { try await cache.fetch(Self.key(job), generation: 1, drop: drop) { 400 } }
        // 1 200 bytes: the oldest goes.
        #expect(record.dropped.withLock { $0 } == [1] && cache.bytes == 800)
        _ = cache.holds(Self.key(2), generation: 1)  // used: 3 is now the least recent
        try await cache.fetch(Self.key(4), generation: 1, drop: drop) { 400 }
        #expect(record.dropped.withLock { $0 } == [1, 3] && cache.bytes == 800)
        cache.forget { $0.jobId == 2 }
        #expect(cache.bytes == 400 && !cache.holds(Self.key(2), generation: 1))
    }

    @Test func aSiteInUseStaysPastTheBound() async throws {
        let cache = SiteCache(limitBytes: 100, idleSeconds: 3600)
        let record = Record()
        for job in 1...3 { try await cache.fetch(Self.key(job), generation: 1, drop: { _ in record.fetches.add(1, ordering: .relaxed) }) { 100 } }
        #expect(record.fetches.load(ordering: .relaxed) == 0 && cache.bytes == 300)
    }

    @Test func aFailedFetchIsTriedAgainByTheNextRequest() async throws {
        let cache = SiteCache(limitBytes: 1 << 20)
        struct Down: Error {}
        await #expect(throws: Down.self) { try await cache.fetch(Self.key(1), generation: 1, drop: { _ in }) { throw Down() } }
        #expect(!cache.holds(Self.key(1), generation: 1))
        try await cache.fetch(Self.key(1), generation: 1, drop: { _ in }) { 5 }
        #expect(cache.holds(Self.key(1), generation: 1))
    }
}
