/// The tasks of one service that outlive the call that made them (a process's watcher, a drain before a stop, a
/// route removed 10 s later): added from anywhere, run as child tasks of the service's `run()`, so that none is left
/// over when the service ends. Work added before `run` starts waits for it; `finish` ends `run`: what still runs then
/// is cancelled (a wait cut short: work must end soon once cancelled) and waited for; work added after is refused.
public final class ServiceTasks: Sendable {
    public typealias Work = @Sendable () async -> Void

    private let work: AsyncStream<Work>
    private let queue: AsyncStream<Work>.Continuation

    public init() {
        (self.work, self.queue) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// Runs `work` in the service's task group; false when the service has finished (the work is dropped).
    @discardableResult
    public func add(_ work: @escaping Work) -> Bool {
        if case .terminated = self.queue.yield(work) { return false }
        return true
    }

    /// Runs the work added, each in a task of its own, until `finish`; then cancels what still runs, and waits for it.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for await work in self.work {
                group.addTask { await work() }
            }
            group.cancelAll()
        }
    }

    /// No more work: `run` returns once what runs has ended.
    public func finish() {
        self.queue.finish()
    }
}
