import AmplifyCore
import AmplifyWire
import Foundation
import Logging

/// Who calls an operation and how to reach this server back: the request's scope, and the base URL
/// that URLs handed to the client (log URLs) start with.
struct APICall: Sendable {
    var scope: Scope
    var baseURL: String
    /// Signs the URLs handed out to the client.
    var signer: URLSigner
    var now: Date
    var operation: WireOperation
    var requestId: String
    var requestLogger: Logger

    /// A signed URL of this server for `pathAndQuery` (which starts with `/`).
    func signedURL(_ pathAndQuery: String) -> String {
        self.baseURL + self.signer.sign(pathAndQuery, now: self.now)
    }

    /// Logs with `aws.operation` and `aws.request_id`, which are added only when the level is on:
    /// setting metadata on a logger is not free, and most requests log nothing.
    func log(_ level: Logger.Level, _ message: @autoclosure () -> Logger.Message, _ metadata: Logger.Metadata = [:]) {
        guard self.requestLogger.logLevel <= level else { return }
        var logger = self.requestLogger
        logger[metadataKey: "aws.operation"] = .string(self.operation.rawValue)
        logger[metadataKey: "aws.request_id"] = .string(self.requestId)
        logger.log(level: level, message(), metadata: metadata)
    }
}
