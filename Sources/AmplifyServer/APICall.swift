import AmplifyCore
import AmplifyWire
import Logging

/// Who calls an operation and how to reach this server back: the request's scope, and the base URL
/// that URLs handed to the client (log URLs) start with.
struct APICall: Sendable {
    var scope: Scope
    var baseURL: String
    var operation: WireOperation
    var requestId: String
    var requestLogger: Logger

    /// The request's logger with `aws.operation` and `aws.request_id`. Built when something is logged,
    /// not for every request: setting metadata on a logger is not free.
    var logger: Logger {
        var logger = self.requestLogger
        logger[metadataKey: "aws.operation"] = .string(self.operation.rawValue)
        logger[metadataKey: "aws.request_id"] = .string(self.requestId)
        return logger
    }
}
