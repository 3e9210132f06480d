import AmplifyCore
import Logging

/// Who calls an operation and how to reach this server back: the request's scope, and the base URL
/// that URLs handed to the client (log URLs) start with.
struct APICall: Sendable {
    var scope: Scope
    var baseURL: String
    var logger: Logger
}
