import AmplifyCore
import Foundation
import Logging
import Synchronization

/// The log of one step while processes write to it, in Amplify's format: output is cut into lines, the first of
/// each piece that arrives stamped with its time and level (`2026-11-30T10:00:00.123Z [INFO]: `; standard error is
/// `[WARNING]`, as Amplify marks it), the others of the piece indented under it, as Amplify's console shows them;
/// buffered, and appended to the job's log in the store at each `flush` (so a reader can follow it while it grows).
/// Past `limit` bytes the rest of the output is left out, with a note.
final class BuildLog: Sendable {
    enum Level: String, Sendable {
        case info = "INFO"
        case warning = "WARNING"
        case error = "ERROR"
    }

    private struct State {
        /// A line begun but not ended yet, per stream (output, errors).
        var partialLines: [Level: [UInt8]] = [:]
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

    /// The indent of a line that came in the same piece as the one above it (as wide as a stamp and `[INFO]: `).
    static let continuation = Array(String(repeating: " ", count: 33).utf8)

    /// Standard output of a process, as it arrives.
    func append(_ bytes: [UInt8]) {
        self.append(bytes, level: .info)
    }

    /// Standard error of a process, as it arrives.
    func appendWarning(_ bytes: [UInt8]) {
        self.append(bytes, level: .warning)
    }

    private func append(_ bytes: [UInt8], level: Level) {
        var prefix = Array((self.progress.stamp() + " [\(level.rawValue)]: ").utf8)
        self.state.withLock { state in
            guard !state.truncated else { return }
            var partial = state.partialLines[level] ?? []
            var rest = bytes[...]
            while let newline = rest.firstIndex(of: UInt8(ascii: "\n")) {
                if partial.isEmpty {
                    self.add(prefix, rest[..<newline], to: &state)
                } else {
                    partial.append(contentsOf: rest[..<newline])
                    self.add(prefix, partial[...], to: &state)
                    partial.removeAll(keepingCapacity: true)
                }
                prefix = Self.continuation
                rest = rest[(newline + 1)...]
            }
            partial.append(contentsOf: rest)
            if partial.count >= 16 * 1024 {
                self.add(prefix, partial[...], to: &state)
                partial.removeAll(keepingCapacity: true)
            }
            state.partialLines[level] = partial
        }
    }

    /// A line of amplify-local's own, such as `# Cloning repository`.
    func info(_ text: String) {
        self.line(text, level: .info)
    }

    /// A line of amplify-local's own at a level: `[ERROR]: !!! Build failed`.
    func line(_ text: String, level: Level) {
        let prefix = Array((self.progress.stamp() + " [\(level.rawValue)]: ").utf8)
        self.state.withLock { state in
            self.endPartialLines(&state)
            self.add(prefix, Array(text.utf8)[...], to: &state)
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
        self.state.withLock { self.endPartialLines(&$0) }
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

    private func endPartialLines(_ state: inout State) {
        guard !state.truncated else { return }
        for (level, line) in state.partialLines where !line.isEmpty {
            self.add(Array((self.progress.stamp() + " [\(level.rawValue)]: ").utf8), line[...], to: &state)
        }
        state.partialLines.removeAll()
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
