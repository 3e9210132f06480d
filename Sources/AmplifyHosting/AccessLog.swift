import AmplifyCore
import Foundation
import Synchronization

/// Every request a site answered, as CSV lines in the column layout of Amplify's access logs, one file
/// per app and day under `<data-dir>/access-logs/<account>/<region>/<appId>/<yyyy-mm-dd>.csv`.
/// Lines are buffered and written at least every second; reading flushes first.
public final class AccessLog: Sendable {
    /// The columns (CloudFront's standard log fields, as Amplify delivers them).
    public static let header =
        "date,time,x-edge-location,sc-bytes,c-ip,cs-method,cs(Host),cs-uri-stem,sc-status,cs(Referer),cs(User-Agent),"
        + "cs-uri-query,cs(Cookie),x-edge-result-type,x-edge-request-id,x-host-header,cs-protocol,cs-bytes,time-taken,"
        + "x-forwarded-for,ssl-protocol,ssl-cipher,x-edge-response-result-type,cs-protocol-version,fle-status,"
        + "fle-encrypted-fields,c-port,time-to-first-byte,x-edge-detailed-result-type,sc-content-type,sc-content-len,"
        + "sc-range-start,sc-range-end\n"

    public struct Entry: Sendable {
        public var time: Date
        public var clientIP: String
        public var clientPort: Int
        public var method: String
        public var host: String
        public var path: String
        public var query: String?
        public var status: Int
        public var bytesSent: Int
        public var referer: String?
        public var userAgent: String?
        public var requestId: String
        public var seconds: Double
        public var contentType: String?

        public init(
            time: Date, clientIP: String, clientPort: Int, method: String, host: String, path: String, query: String?, status: Int,
            bytesSent: Int, referer: String?, userAgent: String?, requestId: String, seconds: Double, contentType: String?
        ) {
            self.time = time
            self.clientIP = clientIP
            self.clientPort = clientPort
            self.method = method
            self.host = host
            self.path = path
            self.query = query
            self.status = status
            self.bytesSent = bytesSent
            self.referer = referer
            self.userAgent = userAgent
            self.requestId = requestId
            self.seconds = seconds
            self.contentType = contentType
        }
    }

    private struct Pending {
        var lines: [URL: String] = [:]
        var since: Date?
    }

    private let root: URL
    private let pending = Mutex(Pending())

    public init(root: URL) {
        self.root = root.appending(path: "access-logs", directoryHint: .isDirectory)
    }

    public func record(_ entry: Entry, scope: Scope, appId: String) {
        let (day, time) = Self.dayAndTime(entry.time)
        let fields: [String] = [
            day, time, "LOCAL", String(entry.bytesSent), entry.clientIP, entry.method, entry.host, entry.path, String(entry.status),
            entry.referer ?? "-", entry.userAgent ?? "-", entry.query ?? "-", "-", entry.status < 400 ? "Miss" : "Error", entry.requestId,
            entry.host, "http", "0", String(format: "%.3f", entry.seconds), "-", "-", "-", entry.status < 400 ? "Miss" : "Error",
            "HTTP/1.1", "-", "-", String(entry.clientPort), String(format: "%.3f", entry.seconds), entry.status < 400 ? "Miss" : "Error",
            entry.contentType ?? "-", String(entry.bytesSent), "-", "-",
        ]
        let line = fields.map(Self.csvField).joined(separator: ",") + "\n"
        let file = self.file(scope: scope, appId: appId, day: day)
        let flush = self.pending.withLock { pending -> [URL: String]? in
            pending.lines[file, default: ""] += line
            let since = pending.since ?? entry.time
            pending.since = since
            guard entry.time.timeIntervalSince(since) >= 1 || pending.lines.values.reduce(0, { $0 + $1.utf8.count }) > 64 * 1024 else { return nil }
            defer { pending = Pending() }
            return pending.lines
        }
        if let flush { Self.write(flush) }
    }

    /// The log lines of the app from `start` to `end`, with the header line first.
    public func read(scope: Scope, appId: String, from start: Date, to end: Date) -> String {
        self.flush()
        var text = Self.header
        var day = Calendar(identifier: .gregorian).startOfDay(for: start)
        while day <= end {
            let name = Self.dayAndTime(day).day
            if let content = try? String(contentsOf: self.file(scope: scope, appId: appId, day: name), encoding: .utf8) {
                for line in content.split(separator: "\n") {
                    let fields = line.split(separator: ",", maxSplits: 2)
                    guard fields.count >= 2, let time = Self.parse(String(fields[0]), String(fields[1])), time >= start, time <= end else { continue }
                    text += line + "\n"
                }
            }
            day = day.addingTimeInterval(86_400)
        }
        return text
    }

    /// Writes what is buffered.
    public func flush() {
        let lines = self.pending.withLock { pending in
            defer { pending = Pending() }
            return pending.lines
        }
        Self.write(lines)
    }

    private func file(scope: Scope, appId: String, day: String) -> URL {
        self.root.appending(path: SiteFiles.segment(scope.account), directoryHint: .isDirectory)
            .appending(path: SiteFiles.segment(scope.region), directoryHint: .isDirectory)
            .appending(path: SiteFiles.segment(appId), directoryHint: .isDirectory)
            .appending(path: "\(day).csv", directoryHint: .notDirectory)
    }

    private static func write(_ lines: [URL: String]) {
        for (file, text) in lines {
            try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: file.path) {
                FileManager.default.createFile(atPath: file.path, contents: nil)
            }
            guard let handle = try? FileHandle(forWritingTo: file) else { continue }
            _ = try? handle.seekToEnd()
            try? handle.write(contentsOf: Data(text.utf8))
            try? handle.close()
        }
    }

    private static func dayAndTime(_ date: Date) -> (day: String, time: String) {
        let stamp = date.formatted(Date.ISO8601FormatStyle())  // 2026-11-29T05:43:43Z
        return (String(stamp.prefix(10)), String(stamp.dropFirst(11).prefix(8)))
    }

    private static func parse(_ day: String, _ time: String) -> Date? {
        try? Date("\(day)T\(time)Z", strategy: Date.ISO8601FormatStyle())
    }

    private static func csvField(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\"" 
    }
}
