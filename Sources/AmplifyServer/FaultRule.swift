import AmplifyCore
import AmplifyWire
import Foundation

/// A rule that makes matching API requests fail or wait, for test suites (`POST /_amplify-local/faults`,
/// `--faults FILE`): which operations (and optionally which app, branch, region, account), what happens (an AWS
/// error, added latency, or both), how often (a probability, seeded for repeatable runs) and how long (a count of
/// firings, an expiry). A faulted request changes nothing: the error is answered before the operation runs.
struct FaultRule: Sendable, Equatable {
    /// The errors a rule may answer with, each with the status the model gives it.
    static let errors: [AmplifyError.Code] = [
        .badRequest, .limitExceeded, .internalFailure, .dependentServiceFailure, .unauthorized, .notFound,
    ]

    var id: String
    /// The operations it is about, or nil for every operation (`*`).
    var operations: Set<WireOperation>?
    var error: AmplifyError.Code?
    var message: String?
    /// Added latency in milliseconds: a fixed value (lower == upper) or a range.
    var latency: ClosedRange<Double>?
    var probability: Double
    var seed: UInt64?
    /// How many times the rule may fire; nil for no limit.
    var count: Int?
    var expiresAt: Date?
    var appId: String?
    var branchName: String?
    var region: String?
    var account: String?

    static let members: Set<String> = [
        "operations", "error", "message", "latencyMs", "probability", "seed", "count", "expiresAt", "appId", "branchName", "region", "account",
    ]

    /// A rule from a request's (or a `--faults` file's) JSON body.
    init(_ body: AdminBody, id: String) throws(AmplifyError) {
        try body.requireOnly(Self.members)
        self.id = id
        guard let operations = try body.strings("operations") else { throw body.fail("operations", "is required: operation names, or [\"*\"].") }
        if operations == ["*"] {
            self.operations = nil
        } else {
            var known = Set<WireOperation>()
            for name in operations {
                guard let operation = WireOperation(rawValue: name) else {
                    throw body.fail("operations", "'\(name)' is not an operation of the Amplify API (GetApp, StartJob, …), nor *.")
                }
                known.insert(operation)
            }
            self.operations = known
        }
        self.error = try body.choice("error", Self.errors.map(\.rawValue)).map(AmplifyError.Code.init)
        self.message = try body.string("message")
        if let range = body.object("latencyMs") {
            try range.requireOnly(["min", "max"])
            guard let low = try range.number("min", in: 0...600_000), let high = try range.number("max", in: 0...600_000), low <= high else {
                throw body.fail("latencyMs", "a range needs min and max, 0 ≤ min ≤ max ≤ 600000.")
            }
            self.latency = low...high
        } else {
            self.latency = try body.number("latencyMs", in: 0...600_000).map { $0...$0 }
        }
        guard self.error != nil || self.latency != nil else { throw body.fail("error", "a rule needs an error, a latencyMs, or both.") }
        self.probability = try body.number("probability", in: 0...1) ?? 1
        self.seed = try body.integer("seed", atLeast: 0).map(UInt64.init)
        self.count = try body.integer("count", atLeast: 1)
        self.expiresAt = try body.date("expiresAt")
        self.appId = try body.string("appId")
        self.branchName = try body.string("branchName")
        self.region = try body.string("region")
        self.account = try body.string("account")
    }

    /// Whether the rule is about this request (before its probability is rolled).
    func matches(_ operation: WireOperation, appId: String?, branchName: String?, scope: Scope) -> Bool {
        (self.operations?.contains(operation) ?? true)
            && (self.appId.map { $0 == appId } ?? true)
            && (self.branchName.map { $0 == branchName } ?? true)
            && (self.region.map { $0 == scope.region } ?? true)
            && (self.account.map { $0 == scope.account } ?? true)
    }

    /// The error a firing answers with: the message given, or one that says it was injected.
    var failure: AmplifyError? {
        self.error.map { AmplifyError($0, self.message ?? "Injected by amplify-local fault rule \(self.id).") }
    }

    /// The rule as `GET /_amplify-local/faults` lists it, with how often it fired.
    func json(fired: Int) -> [String: Any] {
        var object: [String: Any] = ["id": self.id, "operations": self.operations.map { $0.map(\.rawValue).sorted() } ?? ["*"], "probability": self.probability, "fired": fired]
        object["error"] = self.error?.rawValue
        object["message"] = self.message
        if let latency = self.latency {
            object["latencyMs"] = latency.lowerBound == latency.upperBound ? latency.lowerBound as Any : ["min": latency.lowerBound, "max": latency.upperBound]
        }
        object["seed"] = self.seed
        object["count"] = self.count
        object["expiresAt"] = self.expiresAt?.timeIntervalSince1970
        object["appId"] = self.appId
        object["branchName"] = self.branchName
        object["region"] = self.region
        object["account"] = self.account
        return object
    }
}
