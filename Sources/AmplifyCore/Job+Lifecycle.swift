import Foundation

extension Job {
    /// Moves the job through the state machine at `now`, stamping times and closing steps as it finishes.
    public mutating func apply(_ event: JobStateMachine.Event, at now: Date, reason: String? = nil) throws(JobStateMachine.IllegalTransition) {
        var machine = JobStateMachine(self.status)
        try machine.apply(event)
        self.status = machine.status
        let reason = reason ?? (self.status == .cancelled ? Self.stoppedReason : nil)
        if let reason { self.statusReason = reason }
        guard self.status.isFinished else { return }
        self.endTime = now
        var closedStep = false
        for index in self.steps.indices where !self.steps[index].status.isFinished {
            self.steps[index].status = self.status
            self.steps[index].endTime = now
            if let reason { self.steps[index].statusReason = reason }
            closedStep = true
        }
        // The summary has no room for a reason: a job that failed before its first step shows it on a BUILD step.
        if let reason, self.status == .failed, !closedStep {
            var step = JobStep(stepName: "BUILD", status: .failed, startTime: now)
            step.endTime = now
            step.statusReason = reason
            self.steps.append(step)
        }
    }

    /// Why a CANCELLED job ended.
    public static let stoppedReason = "The job was stopped (StopJob) before it finished."

    /// The job ended early: CANCELLED if a stop was asked for, else FAILED with `reason`.
    public func failedOrCancelled(reason: String, at now: Date) throws(JobStateMachine.IllegalTransition) -> Job {
        var job = self
        if job.status == .cancelling {
            try job.apply(.cancelled, at: now)
        } else {
            try job.apply(.fail, at: now, reason: reason)
        }
        return job
    }

    /// Starts step `name` at `now`; the step before it, if still running, ends as succeeded.
    public mutating func beginStep(_ name: String, at now: Date) {
        self.endRunningStep(.succeed, at: now)
        self.steps.append(JobStep(stepName: name, status: .running, startTime: now))
    }

    /// Ends the running step, if any, with `status`.
    public mutating func endRunningStep(_ status: JobStatus, at now: Date, reason: String? = nil) {
        guard let index = self.steps.lastIndex(where: { !$0.status.isFinished }) else { return }
        self.steps[index].status = status
        self.steps[index].endTime = now
        self.steps[index].statusReason = reason
    }

    /// DeleteJob removes finished jobs only; a job in progress has to be stopped first.
    public func requireDeletable() throws(AmplifyError) {
        if self.status == .cancelling {
            throw .badRequest("Job \(self.key.jobId) is still stopping (CANCELLING) and cannot be deleted yet.")
        }
        guard self.status.isFinished else {
            throw .badRequest("Job \(self.key.jobId) is \(self.status.rawValue) and cannot be deleted. Stop the job first.")
        }
    }

    /// A job stopped before any node claimed it (`claimedBy` nil) ends CANCELLED where the stop arrived; a job a
    /// node builds is left to that node. Returns whether the job changed.
    public mutating func cancelIfUnclaimed(claimedBy node: String?, at now: Date) throws(JobStateMachine.IllegalTransition) -> Bool {
        guard self.status == .cancelling, node == nil else { return false }
        try self.apply(.cancelled, at: now)
        return true
    }

    /// StopJob: the job goes to CANCELLING; a job that already ended cannot be stopped.
    public mutating func stop(at now: Date) throws(AmplifyError) {
        if self.status == .cancelling { return }
        do {
            try self.apply(.stop, at: now)
        } catch {
            throw .badRequest("Job \(self.key.jobId) is \(self.status.rawValue) and cannot be stopped.")
        }
    }
}
