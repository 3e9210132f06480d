import AmplifyCore
import Foundation
import Synchronization

/// The access log of a node of several on an object store: the node's lines of each app's hour, kept in memory, and
/// put as one object per app, hour and node (`access-logs/<account>/<region>/<app>/<day>/<hh>/<node>`) every few
/// seconds and when the log is read; an hour's lines are dropped from memory once its last copy is put. Readers list
/// a day's objects and take every node's.
final class SharedAccessLog: Sendable {
    struct Hours {
        /// By object key: the hour's lines, and whether they changed since they were last put.
        var lines: [String: (text: String, changed: Bool)] = [:]
        var lastShare = ContinuousClock.now
    }

    let folders: any SharedFolders
    let node: String
    private let hours = Mutex(Hours())

    init(folders: any SharedFolders, node: String) {
        (self.folders, self.node) = (folders, node)
    }

    func add(_ line: String, key: String) {
        self.hours.withLock { hours in
            let old = hours.lines[key]?.text ?? ""
            hours.lines[key] = (old + line, true)
        }
    }

    /// `share`, when `seconds` have gone by since the last.
    func shareEvery(seconds: Int) async throws {
        let due = self.hours.withLock { ContinuousClock.now - $0.lastShare >= .seconds(seconds) }
        if due { try await self.share() }
    }

    /// Puts every hour whose lines changed; forgets the hours before the current one once they are put.
    func share() async throws {
        let (changed, current) = self.hours.withLock { hours -> ([(String, String)], String) in
            hours.lastShare = .now
            return (hours.lines.filter(\.value.changed).map { ($0.key, $0.value.text) }, Self.currentHour())
        }
        for (key, text) in changed {
            try await self.folders.put(Array(text.utf8), as: key + "/" + SiteFiles.segment(self.node))
            self.hours.withLock { hours in
                guard hours.lines[key]?.text == text else { return }  // more lines came meanwhile: put next time
                if key.hasSuffix(current) { hours.lines[key]?.changed = false } else { hours.lines.removeValue(forKey: key) }
            }
        }
    }

    /// Every node's lines of a day (`dayKey`), an hour and node at a time.
    func hours(_ dayKey: String) async throws -> [String] {
        var texts: [String] = []
        for key in try await self.folders.list(dayKey) {
            if let bytes = try await self.folders.get(key) { texts.append(String(decoding: bytes, as: UTF8.self)) }
        }
        return texts
    }

    /// `<yyyy-mm-dd>/<hh>` of now, in UTC: the end of the current hour's keys.
    static func currentHour() -> String {
        var seconds = time_t(Date().timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))/\(two(parts.tm_hour))"
    }
}
