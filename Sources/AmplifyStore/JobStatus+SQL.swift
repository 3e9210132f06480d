import AmplifyCore

/// Groups of job statuses as SQL lists, for `status IN (…)` in both stores' queries.
extension JobStatus {
    /// A branch has at most one job in these (`JobStatus.active`).
    static let activeSQL = JobStatus.active.map { "'\($0.rawValue)'" }.joined(separator: ", ")
    /// A node holds a job in these: claimed and not finished.
    static let claimedSQL = [JobStatus.provisioning, .running, .cancelling].map { "'\($0.rawValue)'" }.joined(separator: ", ")
}
