import Foundation
import Synchronization

/// The log of one step while processes write to it: output is cut into lines, each stamped with the
/// time it arrived, buffered, and appended to the job's log in the store at each `flush` (so a reader
/// can follow it while it grows). Past `limit` bytes the rest of the output is left out, with a note.
final class BuildLog: Sendable {
    private struct State {
        var partialLine: [UInt8] = []
        var pending = ""
        var written = 0
        var truncated = false
        /// Why the last flush could not write (the job was stopped or deleted).
        var interruption: JobProgress.Interruption?
    }

    let step: String
    private let progress: JobProgress
    private let limit: Int
    private let state = Mutex(State())

    init(step: String, progress: JobProgress, limit: Int) {
        self.step = step
        self.progress = progress
        self.limit = limit
    }

    /// Output of a process, as it arrives.
    func append(_ bytes: [UInt8]) {
        let stamp = self.progress.stamp()
        self.state.withLock { state in
            guard !state.truncated else { return }
            var rest = bytes[...]
            while let newline = rest.firstIndex(of: UInt8(ascii: "\n")) {
                state.partialLine.append(contentsOf: rest[..<newline])
                self.add("\(stamp) \(String(decoding: state.partialLine, as: UTF8.self))\n", to: &state)
                state.partialLine.removeAll(keepingCapacity: true)
                rest = rest[(newline + 1)...]
            }
            state.partialLine.append(contentsOf: rest)
            if state.partialLine.count >= 16 * 1024 {
                self.add("\(stamp) \(String(decoding: state.partialLine, as: UTF8.self))\n", to: &state)
                state.partialLine.removeAll(keepingCapacity: true)
            }
        }
    }

    /// A line of amplify-local's own, such as `# Cloning repository`.
    func info(_ text: String) {
        let line = "\(self.progress.stamp()) [INFO]: \(text)\n"
        self.state.withLock { state in
            self.endPartialLine(&state)
            self.add(line, to: &state)
        }
    }

    /// Writes what is buffered to the store; a stop or deletion seen there is kept for `interruption`.
    func flush() async {
        let text = self.state.withLock { state in
            defer { state.pending = "" }
            return state.pending
        }
        guard !text.isEmpty else { return }
        do {
            try await self.progress.write(self.step, text: text)
        } catch let interruption as JobProgress.Interruption {
            self.state.withLock { $0.interruption = interruption }
        } catch {
            // Not written (a flush cancelled at the end of a process, say): the next flush writes it.
            self.state.withLock { $0.pending = text + $0.pending }
            if !(error is CancellationError) {
                self.progress.logger.error("Could not write a build log", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Ends a last line that had no newline and writes everything out.
    func close() async {
        self.state.withLock { self.endPartialLine(&$0) }
        await self.flush()
    }

    var interruption: JobProgress.Interruption? {
        self.state.withLock { $0.interruption }
    }

    /// Flushes every `interval` until cancelled.
    func flushPeriodically(every interval: Duration = .milliseconds(250)) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            await self.flush()
        }
    }

    private func endPartialLine(_ state: inout State) {
        guard !state.partialLine.isEmpty, !state.truncated else { return }
        self.add("\(self.progress.stamp()) \(String(decoding: state.partialLine, as: UTF8.self))\n", to: &state)
        state.partialLine.removeAll()
    }

    private func add(_ text: String, to state: inout State) {
        guard !state.truncated else { return }
        let size = text.utf8.count
        if state.written + size > self.limit {
            state.truncated = true
            state.pending += "\(self.progress.stamp()) [WARNING]: The log reached its limit of \(self.limit) bytes; later output is left out.\n"
            return
        }
        state.written += size
        state.pending += text
    }
}
