/// The status of a job or of one of its steps.
public enum JobStatus: String, Codable, Sendable, CaseIterable {
    case created = "CREATED"
    case pending = "PENDING"
    case provisioning = "PROVISIONING"
    case running = "RUNNING"
    case failed = "FAILED"
    case succeed = "SUCCEED"
    case cancelling = "CANCELLING"
    case cancelled = "CANCELLED"

    /// SUCCEED, FAILED and CANCELLED: nothing happens to the job any more.
    public var isFinished: Bool {
        switch self {
        case .succeed, .failed, .cancelled: true
        default: false
        }
    }

    /// The statuses that hold a branch: while one of its jobs is in one of them, StartJob is refused.
    public static let active: [JobStatus] = allCases.filter { !$0.isFinished }

    /// The statuses of a job a node has claimed and not finished: its builder holds a lease on it.
    public static let claimed: [JobStatus] = [.provisioning, .running, .cancelling]

    /// PROVISIONING and RUNNING: the job's builder goes on (a CANCELLING one stops, a finished one is over).
    public var keepsBuilding: Bool { self == .provisioning || self == .running }
}
