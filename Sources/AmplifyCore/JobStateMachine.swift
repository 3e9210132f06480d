/// The job lifecycle: PENDING → PROVISIONING → RUNNING → SUCCEED | FAILED; a stop goes through
/// CANCELLING to CANCELLED; CREATED is a deployment waiting for StartDeployment.
///
/// A pure value: it knows the legal transitions and nothing else. Illegal ones throw.
public struct JobStateMachine: Sendable, Equatable {
    public enum Event: String, Sendable {
        /// StartDeployment: CREATED → PENDING.
        case enqueue
        /// A runner takes the job: PENDING → PROVISIONING.
        case claim
        /// The build host is ready: PROVISIONING → RUNNING.
        case run
        /// RUNNING → SUCCEED.
        case succeed
        /// Any unfinished status except CANCELLING → FAILED.
        case fail
        /// StopJob: CREATED, PENDING, PROVISIONING, RUNNING → CANCELLING.
        case stop
        /// The stop took effect: CANCELLING → CANCELLED.
        case cancelled
    }

    /// The transition asked for does not exist from the current status.
    public struct IllegalTransition: Error, Sendable, Equatable {
        public var from: JobStatus
        public var event: Event

        public init(from: JobStatus, event: Event) {
            self.from = from
            self.event = event
        }
    }

    public private(set) var status: JobStatus

    public init(_ status: JobStatus) {
        self.status = status
    }

    /// The status after `event`, or nil when the event is illegal now.
    public static func next(_ status: JobStatus, on event: Event) -> JobStatus? {
        switch (status, event) {
        case (.created, .enqueue): .pending
        case (.pending, .claim): .provisioning
        case (.provisioning, .run): .running
        case (.running, .succeed): .succeed
        case (.created, .fail), (.pending, .fail), (.provisioning, .fail), (.running, .fail): .failed
        case (.created, .stop), (.pending, .stop), (.provisioning, .stop), (.running, .stop): .cancelling
        case (.cancelling, .cancelled): .cancelled
        default: nil
        }
    }

    public mutating func apply(_ event: Event) throws(IllegalTransition) {
        guard let next = Self.next(self.status, on: event) else {
            throw IllegalTransition(from: self.status, event: event)
        }
        self.status = next
    }
}
