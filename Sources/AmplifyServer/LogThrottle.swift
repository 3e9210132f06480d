import Logging
import Synchronization

/// Says a repeated event at most once per `interval`, with how many went unsaid since: a flood of refused
/// connections must not become a flood of log lines.
final class LogThrottle: Sendable {
    private let logger: Logger
    private let interval: Duration
    private let state = Mutex<(last: ContinuousClock.Instant?, unsaid: Int)>((nil, 0))

    init(logger: Logger, interval: Duration = .seconds(10)) {
        self.logger = logger
        self.interval = interval
    }

    func log(_ level: Logger.Level, _ message: String, metadata: Logger.Metadata = [:]) {
        let now = ContinuousClock.now
        let unsaid: Int? = self.state.withLock { state in
            if let last = state.last, now - last < self.interval {
                state.unsaid += 1
                return nil
            }
            defer { state = (now, 0) }
            return state.unsaid
        }
        guard let unsaid else { return }
        var metadata = metadata
        if unsaid > 0 { metadata["alike.unsaid"] = "\(unsaid)" }
        self.logger.log(level: level, "\(message)", metadata: metadata)
    }
}
