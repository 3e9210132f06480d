import AmplifyCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import ServiceLifecycle
import Synchronization

/// Every request a site answered, as CSV lines in the column layout of Amplify's access logs, one file
/// per app and day under `<data-dir>/access-logs/<account>/<region>/<appId>/<yyyy-mm-dd>.csv`.
/// Lines are buffered and written within a second, whether more requests follow or not (the log is a `Service` of
/// the server's service group that writes what waits every second, and at shutdown); reading flushes first. Nodes that
/// share the data directory append to the same files, so a reading on any node sees every node's lines up to a second ago.
public final class AccessLog: Service, Sendable {
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
        var lines: [String: String] = [:]
        var bytes = 0
        var since: Date?
    }

    private let root: String
    private let pending = Mutex(Pending())
    /// With an object store: this node's lines since they were last put there (every 5 s, and before a read).
    private let shared: SharedAccessLog?

    /// The log in `root`'s access-logs folder; with `shared` (an object store), each node's lines go there too (by
    /// app and hour, an object per put), so that any node reads every node's.
    public init(root: URL, shared: (any SharedFolders)? = nil, node: String = "") {
        self.root = root.appending(path: "access-logs", directoryHint: .isDirectory).path
        self.shared = shared.map { SharedAccessLog(folders: $0, node: node) }
    }

    public func record(_ entry: Entry, scope: Scope, appId: String) {
        let (day, time) = Self.dayAndTime(entry.time)
        let result = entry.status < 400 ? "Miss" : "Error"
        let taken = Self.milliseconds(entry.seconds)
        var line = ""
        line.reserveCapacity(256 + entry.path.utf8.count + (entry.userAgent?.utf8.count ?? 0) + (entry.referer?.utf8.count ?? 0))
        func add(_ field: String) {
            if !line.isEmpty { line += "," }
            Self.appendCSVField(field, to: &line)
        }
        // The columns of `header`, in order; runs of constant ones written as they are.
        for field in [day, time] { add(field) }
        line += ",LOCAL"
        for field in [String(entry.bytesSent), entry.clientIP, entry.method, entry.host, entry.path, String(entry.status)] { add(field) }
        for field in [entry.referer ?? "-", entry.userAgent ?? "-", entry.query ?? "-"] { add(field) }
        line += ",-," + result
        for field in [entry.requestId, entry.host] { add(field) }
        line += ",http,0," + taken + ",-,-,-," + result + ",HTTP/1.1,-,-," + String(entry.clientPort) + "," + taken + "," + result
        add(entry.contentType ?? "-")
        line += "," + String(entry.bytesSent) + ",-,-\n"
        let file = self.file(scope: scope, appId: appId, day: day)
        self.shared?.add(line, key: Self.hourKey(scope: scope, appId: appId, day: day, hour: time.prefix(2)))
        let flush = self.pending.withLock { pending -> [String: String]? in
            pending.lines[file, default: ""] += line
            pending.bytes += line.utf8.count
            let since = pending.since ?? entry.time
            pending.since = since
            guard entry.time.timeIntervalSince(since) >= 1 || pending.bytes > 64 * 1024 else { return nil }
            defer { pending = Pending() }
            return pending.lines
        }
        if let flush { Self.write(flush) }
    }

    /// The log lines of the app from `start` to `end`, with the header line first: this node's (and those of nodes that
    /// share its data folder), or with an object store every node's, this one's to now and the others' to a few
    /// seconds ago (in time order).
    public func read(scope: Scope, appId: String, from start: Date, to end: Date) async throws -> String {
        self.flush()
        try await self.shared?.share()
        var lines: [Substring] = []
        var day = Calendar(identifier: .gregorian).startOfDay(for: start)
        while day <= end {
            let name = Self.dayAndTime(day).day
            let contents: [String]
            if let shared = self.shared {
                contents = try await shared.hours(Self.dayKey(scope: scope, appId: appId, day: name))
            } else {
                contents = [try? String(contentsOfFile: self.file(scope: scope, appId: appId, day: name), encoding: .utf8)].compactMap { $0 }
            }
            for content in contents {
                for line in content.split(separator: "\n") {
                    let fields = line.split(separator: ",", maxSplits: 2)
                    guard fields.count >= 2, let time = Self.parse(String(fields[0]), String(fields[1])), time >= start, time <= end else { continue }
                    lines.append(line)
                }
            }
            day = day.addingTimeInterval(86_400)
        }
        if self.shared != nil { lines.sort { $0.prefix(19) < $1.prefix(19) } }
        return Self.header + lines.map { $0 + "\n" }.joined()
    }

    /// The app's objects of one day in the object store (`access-logs/<account>/<region>/<app>/<day>`).
    static func dayKey(scope: Scope, appId: String, day: String) -> String {
        ["access-logs", SiteFiles.segment(scope.account), SiteFiles.segment(scope.region), SiteFiles.segment(appId), day].joined(separator: "/")
    }

    /// The objects of an hour of the app's log (`<day>/<hh>`; each node's lines follow, an object per put).
    static func hourKey(scope: Scope, appId: String, day: String, hour: Substring) -> String {
        self.dayKey(scope: scope, appId: appId, day: day) + "/" + hour
    }

    /// Writes what is buffered every second until the server shuts down, and then once more.
    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            } catch {
                break
            }
            self.flush()
            try? await self.shared?.shareEvery(seconds: 5)
        }
        self.flush()
        try? await self.shared?.share()
    }

    /// Writes what is buffered.
    public func flush() {
        let lines = self.pending.withLock { pending -> [String: String] in
            guard !pending.lines.isEmpty else { return [:] }
            defer { pending = Pending() }
            return pending.lines
        }
        Self.write(lines)
    }

    private func file(scope: Scope, appId: String, day: String) -> String {
        [self.root, SiteFiles.segment(scope.account), SiteFiles.segment(scope.region), SiteFiles.segment(appId), "\(day).csv"]
            .joined(separator: "/")
    }

    private static func write(_ lines: [String: String]) {
        for (file, text) in lines {
            try? FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            // O_APPEND: nodes that share the data directory append to the same files, each write whole at the end.
            let descriptor = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { continue }
            Array(text.utf8).withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if written < 0 && errno == EINTR { continue }
                    guard written > 0 else { break }
                    offset += written
                }
            }
            close(descriptor)
        }
    }

    /// `2026-11-29` and `05:43:43` in UTC, without a formatter (one per request adds up).
    private static func dayAndTime(_ date: Date) -> (day: String, time: String) {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return (
            "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))",
            "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
        )
    }

    /// Seconds with three decimals (`0.004`).
    private static func milliseconds(_ seconds: Double) -> String {
        let total = Int((seconds * 1000).rounded())
        let fraction = total % 1000
        return "\(total / 1000).\(fraction < 10 ? "00" : fraction < 100 ? "0" : "")\(fraction)"
    }

    private static func parse(_ day: String, _ time: String) -> Date? {
        try? Date("\(day)T\(time)Z", strategy: Date.ISO8601FormatStyle())
    }

    /// The field as CSV: quoted (its quotes doubled) when it holds a comma, a quote or a line break.
    private static func appendCSVField(_ value: String, to line: inout String) {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") }) else {
            line += value
            return
        }
        line += "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
