import AmplifyCore
import Foundation
import Logging
import Synchronization

/// The log of one step while processes write to it: output is cut into lines, each stamped with the
/// time it arrived, buffered, and appended to the job's log in the store at each `flush` (so a reader
/// can follow it while it grows). Past `limit` bytes the rest of the output is left out, with a note.
final class BuildLog: Sendable {
    private struct State {
        var partialLine: [UInt8] = []
        /// Stamped lines not yet written, as bytes (turned into text once, at the flush).
        var pending: [UInt8] = []
        var written = 0
        var truncated = false
        /// Why the last flush could not write (the job was stopped or deleted).
        var interruption: JobProgress.Interruption?
    }

    let step: String
    private let progress: JobProgress
    private let limit: Int
    /// Texts written as `***` wherever a line holds them (the build's secret values), longest first.
    private let redactions: [[UInt8]]
    private let state = Mutex(State())

    convenience init(step: String, progress: JobProgress, limit: Int, redacting secrets: [String] = []) {
        self.init(step: step, progress: progress, limit: limit, redacting: Self.redactions(of: secrets))
    }

    /// A log that hides the same texts as another (`redacted`).
    init(step: String, progress: JobProgress, limit: Int, redacting redactions: [[UInt8]]) {
        self.step = step
        self.progress = progress
        self.limit = limit
        self.redactions = redactions
    }

    /// What this log hides.
    var redacted: [[UInt8]] { self.redactions }

    /// What to hide for secret values: each value, each line of a value of several, and each as JSON writes it
    /// inside a string (the `secrets` variable printed whole); texts under 3 bytes are left alone (hiding every
    /// `a` would leave no log).
    static func redactions(of secrets: [String]) -> [[UInt8]] {
        var texts = Set<String>()
        for value in secrets {
            let lines = value.split(whereSeparator: \.isNewline).map(String.init)
            for text in [value] + (lines.count > 1 ? lines : []) {
                texts.insert(text)
                if let json = try? JSONEncoder().encode(text), let quoted = String(data: json, encoding: .utf8) {
                    texts.insert(String(quoted.dropFirst().dropLast()))
                }
            }
        }
        return texts.filter { $0.utf8.count >= 3 }.map { Array($0.utf8) }.sorted { $0.count > $1.count }
    }

    /// `line` with every redaction replaced by `***`.
    static func redact(_ line: ArraySlice<UInt8>, _ redactions: [[UInt8]]) -> ArraySlice<UInt8> {
        var line = line
        for secret in redactions where line.count >= secret.count {
            var result: [UInt8] = []
            var index = line.startIndex
            var found = false
            while index < line.endIndex {
                if line.endIndex - index >= secret.count, line[index] == secret[0], line[index..<index + secret.count].elementsEqual(secret) {
                    result += Array("***".utf8)
                    index += secret.count
                    found = true
                } else {
                    result.append(line[index])
                    index += 1
                }
            }
            if found { line = result[...] }
        }
        return line
    }

    /// Output of a process, as it arrives: each line gets the chunk's time stamp.
    func append(_ bytes: [UInt8]) {
        let stamp = Array((self.progress.stamp() + " ").utf8)
        self.state.withLock { state in
            guard !state.truncated else { return }
            var rest = bytes[...]
            while let newline = rest.firstIndex(of: UInt8(ascii: "\n")) {
                if state.partialLine.isEmpty {
                    self.add(stamp, rest[..<newline], to: &state)
                } else {
                    state.partialLine.append(contentsOf: rest[..<newline])
                    self.add(stamp, state.partialLine[...], to: &state)
                    state.partialLine.removeAll(keepingCapacity: true)
                }
                rest = rest[(newline + 1)...]
            }
            state.partialLine.append(contentsOf: rest)
            if state.partialLine.count >= 16 * 1024 {
                self.add(stamp, state.partialLine[...], to: &state)
                state.partialLine.removeAll(keepingCapacity: true)
            }
        }
    }

    /// A line of amplify-local's own, such as `# Cloning repository`.
    func info(_ text: String) {
        let stamp = Array((self.progress.stamp() + " [INFO]: ").utf8)
        self.state.withLock { state in
            self.endPartialLine(&state)
            self.add(stamp, Array(text.utf8)[...], to: &state)
        }
    }

    /// Writes what is buffered to the store; a stop or deletion seen there is kept for `interruption`.
    func flush() async {
        let bytes = self.state.withLock { state in
            defer { state.pending.removeAll(keepingCapacity: true) }
            return state.pending
        }
        guard !bytes.isEmpty else { return }
        // A NUL in a program's output becomes U+FFFD, as invalid UTF-8 does.
        let text = String(decoding: bytes, as: UTF8.self).replacingNUL
        do {
            try await self.progress.write(self.step, text: text)
        } catch let interruption as JobProgress.Interruption {
            self.state.withLock { $0.interruption = interruption }
        } catch {
            // Not written (a flush cancelled at the end of a process, say): the next flush writes it.
            self.state.withLock { $0.pending = bytes + $0.pending }
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
        self.add(Array((self.progress.stamp() + " ").utf8), state.partialLine[...], to: &state)
        state.partialLine.removeAll()
    }

    /// Adds `prefix` + `line` + newline, unless the log is full.
    private func add(_ prefix: [UInt8], _ line: ArraySlice<UInt8>, to state: inout State) {
        guard !state.truncated else { return }
        let line = self.redactions.isEmpty ? line : Self.redact(line, self.redactions)
        let size = prefix.count + line.count + 1
        if state.written + size > self.limit {
            state.truncated = true
            let note = "\(self.progress.stamp()) [WARNING]: The log reached its limit of \(self.limit) bytes; later output is left out.\n"
            state.pending.append(contentsOf: note.utf8)
            return
        }
        state.written += size
        state.pending.append(contentsOf: prefix)
        state.pending.append(contentsOf: line)
        state.pending.append(UInt8(ascii: "\n"))
    }
}
