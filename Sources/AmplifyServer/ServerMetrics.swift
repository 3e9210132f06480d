import AmplifyCore
import CoreMetrics
import Foundation
import Prometheus
import Synchronization

/// What the server counts and times, through swift-metrics into a Prometheus registry of its own (no global
/// bootstrap: every application, tests' included, has its own), answered by `GET /_amplify-local/metrics` in
/// Prometheus's text format. Names start with `amplify_local_`; API metrics carry the operation's name.
final class ServerMetrics: Sendable {
    static let requests = "amplify_local_requests_total"
    static let requestDuration = "amplify_local_request_duration_seconds"
    static let errors = "amplify_local_errors_total"
    static let siteRequests = "amplify_local_site_requests_total"
    static let buildsFinished = "amplify_local_builds_finished_total"
    static let buildDuration = "amplify_local_build_duration_seconds"
    static let buildsRunning = "amplify_local_builds_running"
    static let buildsQueued = "amplify_local_builds_queued"
    static let storeRetries = "amplify_local_store_transaction_retries_total"
    static let signedURLRefusals = "amplify_local_signed_url_refusals_total"
    static let signatureRefusals = "amplify_local_sigv4_refusals_total"

    private let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    /// Metrics made once and kept: making one asks the registry under its lock, recording one does not. The API's
    /// are keyed without building a string per request.
    private let requestCounters = Mutex<[RequestKey: CoreMetrics.Counter]>([:])
    private let requestTimers = Mutex<[String: CoreMetrics.Timer]>([:])
    private let counters = Mutex<[String: CoreMetrics.Counter]>([:])
    private let timers = Mutex<[String: CoreMetrics.Timer]>([:])

    private struct RequestKey: Hashable {
        var operation: String
        var status: Int
    }
    private let running: CoreMetrics.Gauge
    private let queued: CoreMetrics.Gauge

    init() {
        var factory = PrometheusMetricsFactory(registry: self.registry)
        // An API request takes a fraction of a millisecond; a build, seconds to minutes.
        factory.durationHistogramBuckets = [
            Self.requestDuration: [100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 100_000, 1_000_000].map { Duration.microseconds($0) },
            Self.buildDuration: [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600].map { Duration.seconds($0) },
        ]
        self.factory = factory
        self.running = CoreMetrics.Gauge(label: Self.buildsRunning, factory: factory)
        self.queued = CoreMetrics.Gauge(label: Self.buildsQueued, factory: factory)
        // Shown at 0 from the start, so that a dashboard finds them before the first one happens.
        for name in [Self.storeRetries, Self.signedURLRefusals, Self.signatureRefusals] {
            _ = self.counter(name, [])
        }
    }

    /// One API request: its operation (`Unknown` when none matched), status, AWS error code if it failed, and time.
    func request(operation: String, status: Int, errorCode: String?, duration: Duration) {
        Self.cached(self.requestCounters, RequestKey(operation: operation, status: status)) {
            CoreMetrics.Counter(label: Self.requests, dimensions: [("operation", operation), ("status", String(status))], factory: self.factory)
        }.increment()
        Self.cached(self.requestTimers, operation) {
            CoreMetrics.Timer(label: Self.requestDuration, dimensions: [("operation", operation)], factory: self.factory)
        }.recordNanoseconds(Self.nanoseconds(duration))
        if let errorCode {
            self.increment(Self.errors, [("code", errorCode)])
        }
    }

    func siteRequest(status: Int) {
        self.increment(Self.siteRequests, [("status", String(status))])
    }

    /// A build that ended (SUCCEED, FAILED, CANCELLED), with its time from start to end.
    func buildFinished(_ job: Job) {
        let result = job.status.rawValue
        self.increment(Self.buildsFinished, [("result", result)])
        if let end = job.endTime {
            self.timer(Self.buildDuration, [("result", result)]).recordNanoseconds(Int64(max(0, end.timeIntervalSince(job.startTime)) * 1e9))
        }
    }

    func storeRetry() { self.increment(Self.storeRetries, []) }
    func signedURLRefused() { self.increment(Self.signedURLRefusals, []) }
    func signatureRefused() { self.increment(Self.signatureRefusals, []) }

    /// The registry in Prometheus's text format, with the gauges read now.
    func exposition(runningBuilds: Int, queuedBuilds: Int) -> [UInt8] {
        self.running.record(runningBuilds)
        self.queued.record(queuedBuilds)
        return self.registry.emitToBuffer()
    }

    private func increment(_ name: String, _ dimensions: [(String, String)]) {
        self.counter(name, dimensions).increment()
    }

    private func counter(_ name: String, _ dimensions: [(String, String)]) -> CoreMetrics.Counter {
        Self.cached(self.counters, Self.key(name, dimensions)) { CoreMetrics.Counter(label: name, dimensions: dimensions, factory: self.factory) }
    }

    private func timer(_ name: String, _ dimensions: [(String, String)]) -> CoreMetrics.Timer {
        Self.cached(self.timers, Self.key(name, dimensions)) { CoreMetrics.Timer(label: name, dimensions: dimensions, factory: self.factory) }
    }

    /// The value kept under `key`, made by `make` the first time.
    private static func cached<Key: Hashable & Sendable, Value: Sendable>(
        _ cache: borrowing Mutex<[Key: Value]>, _ key: Key, _ make: () -> Value
    ) -> Value {
        cache.withLock { values in
            if let value = values[key] { return value }
            let value = make()
            values[key] = value
            return value
        }
    }

    private static func key(_ name: String, _ dimensions: [(String, String)]) -> String {
        dimensions.reduce(name) { $0 + "\u{1}" + $1.1 }
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }
}
