import AmplifyCore
import Foundation
import Synchronization

/// The access log of a node of several on an object store: the node's lines since it last put them, by app and hour,
/// put every few seconds (and when the log is read) as one object each
/// (`access-logs/<account>/<region>/<app>/<day>/<hh>/<node>-<milliseconds>`). Readers list a day's objects and take
/// every node's. Lines that could not be put wait for the next time.
final class SharedAccessLog: Sendable {
    struct Pending {
        /// By hour's key (`AccessLog.hourKey`): the lines not put yet.
        var lines: [String: String] = [:]
        var lastShare = ContinuousClock.now
    }

    let folders: any SharedFolders
    let node: String
    private let pending = Mutex(Pending())

    init(folders: any SharedFolders, node: String) {
        (self.folders, self.node) = (folders, node)
    }

    func add(_ line: String, key: String) {
        self.pending.withLock { $0.lines[key, default: ""] += line }
    }

    /// `share`, when `seconds` have gone by since the last.
    func shareEvery(seconds: Int) async throws {
        let due = self.pending.withLock { ContinuousClock.now - $0.lastShare >= .seconds(seconds) }
        if due { try await self.share() }
    }

    /// Puts the lines of each hour not put yet as an object of their own.
    func share() async throws {
        let taken = self.pending.withLock { pending -> [String: String] in
            pending.lastShare = .now
            defer { pending.lines = [:] }
            return pending.lines
        }
        let stamp = String(Int(Date().timeIntervalSince1970 * 1000))
        var failure: (any Error)?
        for (key, text) in taken {
            do {
                try await self.folders.put(Array(text.utf8), as: key + "/" + SiteFiles.segment(self.node) + "-" + stamp)
            } catch {
                // Kept, before what came meanwhile, for the next time.
                self.pending.withLock { $0.lines[key] = text + ($0.lines[key] ?? "") }
                failure = error
            }
        }
        if let failure { throw failure }
    }

    /// Every node's lines of a day (`dayKey`), an object at a time.
    func hours(_ dayKey: String) async throws -> [String] {
        var texts: [String] = []
        for key in try await self.folders.list(dayKey) {
            if let bytes = try await self.folders.get(key) { texts.append(String(decoding: bytes, as: UTF8.self)) }
        }
        return texts
    }
}
