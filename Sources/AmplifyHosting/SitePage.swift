import HTTPTypes
import Hummingbird
import NIOCore

/// The short plain-text pages a site answers with when it has no file to serve.
public enum SitePage {
    public static func response(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "\(status.code) \(message)\n")))
    }
}
