import Hummingbird
import Logging

/// The request context of the server: Hummingbird's core context plus the AWS request id.
public struct AmplifyRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Sent back as `x-amzn-RequestId` and logged with the request.
    public var requestId: String

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.requestId = ""
    }

    /// Bodies larger than this are refused before they are read.
    public var maxUploadSize: Int { 6 * 1024 * 1024 }
}
