import Foundation

/// Where objects are kept in an S3-compatible store (`--object-store s3://BUCKET[/PREFIX]`,
/// `--object-store-endpoint URL`): the endpoint, addressed path-style (`<endpoint>/<bucket>/<key>`, which every
/// S3-compatible server answers), the bucket, the prefix every key gets, the region the requests are signed for, and
/// the credentials (the usual AWS variables).
public struct S3Bucket: Sendable, Equatable {
    public var endpoint: URL
    public var name: String
    /// Empty, or ends with `/`.
    public var prefix: String
    public var region: String
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// From `s3://BUCKET[/PREFIX]` and an endpoint (`http://127.0.0.1:8333`); the bucket must be a name S3 allows.
    public init(
        url: String, endpoint: String, region: String, accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil
    ) throws(Invalid) {
        guard url.hasPrefix("s3://") else { throw Invalid(description: "\(url): an object store is named s3://BUCKET[/PREFIX].") }
        let rest = url.dropFirst("s3://".count)
        let name = String(rest.prefix { $0 != "/" })
        guard Self.isBucketName(name) else {
            throw Invalid(description: "\(url): \(name.isEmpty ? "no bucket" : "the bucket \(name)") is not an S3 bucket name (3 to 63 lowercase letters, digits, . and -).")
        }
        var prefix = String(rest.dropFirst(name.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if !prefix.isEmpty { prefix += "/" }
        guard let endpointURL = URL(string: endpoint), let scheme = endpointURL.scheme, ["http", "https"].contains(scheme), endpointURL.host != nil else {
            throw Invalid(description: "\(endpoint): the object store's endpoint is an http:// or https:// URL.")
        }
        guard !accessKeyId.isEmpty, !secretAccessKey.isEmpty else {
            throw Invalid(description: "The object store needs credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.")
        }
        (self.endpoint, self.name, self.prefix, self.region) = (endpointURL, name, prefix, region)
        (self.accessKeyId, self.secretAccessKey, self.sessionToken) = (accessKeyId, secretAccessKey, sessionToken)
    }

    static func isBucketName(_ name: String) -> Bool {
        guard (3...63).contains(name.count), let first = name.first, let last = name.last else { return false }
        let allowed = name.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "." || $0 == "-" }
        return allowed && (first.isLowercase || first.isNumber) && (last.isLowercase || last.isNumber) && !name.contains("..")
    }
}
