/// An error the service answers with: an AWS error code and a message for the client.
///
/// One struct with an extensible `Code`, as postgres-nio and swift-service-lifecycle do.
public struct AmplifyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The AWS error code, exactly as it goes on the wire (`x-amzn-ErrorType`).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { self.rawValue }

        public static let badRequest = Code("BadRequestException")
        public static let notFound = Code("NotFoundException")
        public static let resourceNotFound = Code("ResourceNotFoundException")
        public static let limitExceeded = Code("LimitExceededException")
        public static let unauthorized = Code("UnauthorizedException")
        public static let internalFailure = Code("InternalFailureException")
        public static let dependentServiceFailure = Code("DependentServiceFailureException")
        public static let unknownOperation = Code("UnknownOperationException")
        public static let invalidSignature = Code("InvalidSignatureException")
        public static let incompleteSignature = Code("IncompleteSignatureException")
        public static let unrecognizedClient = Code("UnrecognizedClientException")
        public static let missingAuthenticationToken = Code("MissingAuthenticationTokenException")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(self.code): \(self.message)" }

    public static func badRequest(_ message: String) -> Self { .init(.badRequest, message) }
    public static func notFound(_ message: String) -> Self { .init(.notFound, message) }
    public static func limitExceeded(_ message: String) -> Self { .init(.limitExceeded, message) }
    public static func unauthorized(_ message: String) -> Self { .init(.unauthorized, message) }
    public static func resourceNotFound(_ arn: String) -> Self { .init(.resourceNotFound, "Resource \(arn) not found.") }

    public static func appNotFound(_ appId: String) -> Self { .notFound("App \(appId) not found.") }
    public static func branchNotFound(_ branchName: String) -> Self { .notFound("Branch \(branchName) not found.") }
    public static func jobNotFound(_ jobId: String) -> Self { .notFound("Job \(jobId) not found.") }
    public static func domainNotFound(_ domainName: String) -> Self { .notFound("Domain \(domainName) not found.") }
    public static func webhookNotFound(_ webhookId: String) -> Self { .notFound("Webhook \(webhookId) not found.") }
    public static func backendEnvironmentNotFound(_ name: String) -> Self { .notFound("Backend environment \(name) not found.") }
    public static func artifactNotFound(_ artifactId: String) -> Self { .notFound("Artifact \(artifactId) not found.") }
    public static func secretNotFound(_ name: String) -> Self { .notFound("Secret \(name) not found.") }
}
