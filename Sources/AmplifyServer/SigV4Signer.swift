import AmplifyObjects
import Crypto
import Foundation

/// Signs a request with AWS Signature Version 4 as the AWS CLI does (`Authorization`, `X-Amz-Date`,
/// `X-Amz-Content-SHA256` over host, date and payload), for amplify-local's own command-line client talking to a
/// server that checks signatures (`--auth`).
public struct SigV4Signer: Sendable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var region: String
    public var service = "amplify"

    public init(accessKeyId: String, secretAccessKey: String, region: String) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.region = region
    }

    /// The headers to add to a request for `path` (percent-encoded as sent) and `query` at `host`.
    public func headers(method: String, host: String, path: String, query: String?, body: [UInt8], now: Date = Date()) -> [(String, String)] {
        let amzDate = SigV4.format(now)
        let payloadHash = Hex.lowercase(SHA256.hash(data: body))
        let signedHeaders = "host;x-amz-content-sha256;x-amz-date"
        let canonical = [
            method, SigV4Verifier.canonicalPath(path), SigV4Verifier.canonicalQuery(SigV4Verifier.queryPairs(query)),
            "host:\(host)\nx-amz-content-sha256:\(payloadHash)\nx-amz-date:\(amzDate)\n", signedHeaders, payloadHash,
        ].joined(separator: "\n")
        let signature = SigV4.signature(
            canonicalRequest: canonical, amzDate: amzDate, region: self.region, service: self.service, secret: self.secretAccessKey
        )
        let credential = "\(self.accessKeyId)/\(amzDate.prefix(8))/\(self.region)/\(self.service)/aws4_request"
        return [
            ("X-Amz-Date", amzDate), ("X-Amz-Content-SHA256", payloadHash),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=\(credential), SignedHeaders=\(signedHeaders), Signature=\(signature)"),
        ]
    }
}
