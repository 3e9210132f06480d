import AmplifyCore
import HTTPTypes
import NIOCore
import NIOHTTPTypes

extension AWSError {
    /// Answers this error on a connection that a channel handler refuses before any request reaches the router (one
    /// past `--max-connections`, a head that took too long): the same headers and body as any other error, a fresh
    /// request id and `Connection: close` (plus `extra`); the connection is closed once the answer is written.
    func answer(closing context: ChannelHandlerContext, headers extra: HTTPFields = [:]) {
        let body = self.body
        var fields = self.headers
        fields[RequestIDMiddleware.header] = RequestIds.uuid()
        fields[.contentLength] = "\(body.readableBytes)"
        fields[.connection] = "close"
        fields.append(contentsOf: extra)
        context.write(NIOAny(HTTPResponsePart.head(HTTPResponse(status: self.status, headerFields: fields))), promise: nil)
        context.write(NIOAny(HTTPResponsePart.body(body)), promise: nil)
        context.writeAndFlush(NIOAny(HTTPResponsePart.end(nil))).assumeIsolatedUnsafeUnchecked().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
