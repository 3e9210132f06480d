import Foundation

/// One step of a job (BUILD, DEPLOY, VERIFY), with its own status and times.
public struct JobStep: Codable, Sendable, Equatable {
    public var stepName: String
    public var status: JobStatus
    public var startTime: Date
    public var endTime: Date?
    public var statusReason: String?

    public init(stepName: String, status: JobStatus, startTime: Date) {
        self.stepName = stepName
        self.status = status
        self.startTime = startTime
    }
}
