/// Finds the operation for a method and raw path, using the model's URI templates.
///
/// The raw path is split on `/` before each segment is percent-decoded, so `feature%2Fx` is one
/// branch name and an ARN arrives as one label. An empty label (`…/jobs/`) still matches, and
/// validation then refuses it: it never falls through to another operation.
public struct OperationRouter: Sendable {
    /// A matched operation with its decoded labels.
    public struct Match: Sendable, Equatable {
        public var operation: WireOperation
        public var labels: [String: String]

        public init(operation: WireOperation, labels: [String: String]) {
            self.operation = operation
            self.labels = labels
        }
    }

    /// Why no operation matched.
    public enum Failure: Error, Sendable, Equatable {
        /// No template has this path.
        case unknownPath
        /// A template has this path, but not for this method.
        case methodNotAllowed
        /// A segment's percent-encoding is broken.
        case badEncoding
    }

    private enum Segment: Sendable {
        case literal(String)
        case label(String)
    }

    private struct Template: Sendable {
        var operation: WireOperation
        var method: String
        var segments: [Segment]
        var literalCount: Int
    }

    private let templates: [Template]

    public init(operations: [WireOperation] = WireOperation.allCases) {
        self.templates = operations.map { operation in
            let segments = operation.http.uri.split(separator: "/").map { part -> Segment in
                part.hasPrefix("{") && part.hasSuffix("}") ? .label(String(part.dropFirst().dropLast())) : .literal(String(part))
            }
            let literals = segments.filter { if case .literal = $0 { true } else { false } }.count
            return Template(operation: operation, method: operation.http.method, segments: segments, literalCount: literals)
        }
    }

    /// Matches a raw path (no query string). Among templates that fit, the one with most literal segments wins.
    public func match(method: String, rawPath: Substring) throws(Failure) -> Match {
        var raw = rawPath.split(separator: "/", omittingEmptySubsequences: false)
        if raw.first == "" { raw.removeFirst() }
        var segments: [String] = []
        segments.reserveCapacity(raw.count)
        for part in raw {
            guard let decoded = PercentDecoding.decode(part) else { throw .badEncoding }
            segments.append(decoded)
        }
        var best: (template: Template, labels: [String: String])?
        var pathKnown = false
        for template in self.templates where template.segments.count == segments.count {
            guard let labels = Self.labels(template.segments, segments) else { continue }
            pathKnown = true
            guard template.method == method else { continue }
            if best == nil || template.literalCount > best!.template.literalCount {
                best = (template, labels)
            }
        }
        if let best { return Match(operation: best.template.operation, labels: best.labels) }
        throw pathKnown ? .methodNotAllowed : .unknownPath
    }

    private static func labels(_ template: [Segment], _ segments: [String]) -> [String: String]? {
        var labels: [String: String] = [:]
        for (part, segment) in zip(template, segments) {
            switch part {
            case .literal(let literal): if literal != segment { return nil }
            case .label(let name): labels[name] = segment
            }
        }
        return labels
    }
}
