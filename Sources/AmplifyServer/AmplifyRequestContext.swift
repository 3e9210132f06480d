import Hummingbird
import Logging
import NIOCore

/// The request context of the server: Hummingbird's core context plus the AWS request id and the client's address.
public struct AmplifyRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Sent back as `x-amzn-RequestId` and logged with the request.
    public var requestId: String
    /// The client, for sites' access logs.
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.requestId = ""
        self.remoteAddress = source.channel.remoteAddress
    }

    /// Bodies larger than this are refused before they are read.
    public var maxUploadSize: Int { 6 * 1024 * 1024 }
}
