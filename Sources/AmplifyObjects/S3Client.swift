import AmplifyWire
import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// Objects of one `S3Bucket`, through S3's REST API (path-style, every request signed with SigV4): put, get (whole or
/// a byte range), delete, and list by prefix. Keys are given without the bucket's prefix and come back without it.
/// Failures are `S3Client.Failure`, with the store's own code and message (`NoSuchBucket`, `AccessDenied`, …) or why
/// it could not be reached.
public struct S3Client: Sendable {
    public let bucket: S3Bucket
    private let http: HTTPClient
    private let timeout: TimeAmount

    public init(bucket: S3Bucket, http: HTTPClient = .shared, timeout: TimeAmount = .seconds(30)) {
        (self.bucket, self.http, self.timeout) = (bucket, http, timeout)
    }

    public struct Failure: Error, Equatable, CustomStringConvertible {
        /// The HTTP status, 0 when the store could not be reached.
        public var status: Int
        public var code: String
        public var message: String
        public var description: String { "The object store answered \(self.status == 0 ? "nothing" : String(self.status)) (\(self.code)): \(self.message)" }
    }

    /// Stores `bytes` as `key` (replacing what was there).
    public func put(_ key: String, _ bytes: [UInt8], contentType: String? = nil) async throws(Failure) {
        var headers: [(String, String)] = [("Content-Length", String(bytes.count))]
        if let contentType { headers.append(("Content-Type", contentType)) }
        _ = try await self.send(.PUT, key: key, headers: headers, body: bytes, limit: 1 << 16)
    }

    /// The object's bytes (those of `range`, inclusive, when given), at most `limit` of them; nil when there is no
    /// such object.
    public func get(_ key: String, range: ClosedRange<Int>? = nil, limit: Int = 64 << 20) async throws(Failure) -> [UInt8]? {
        let headers = range.map { [("Range", "bytes=\($0.lowerBound)-\($0.upperBound)")] } ?? []
        do {
            return try await self.send(.GET, key: key, headers: headers, limit: limit)
        } catch where error.status == 404 {
            return nil
        }
    }

    /// Removes `key` (nothing when it is not there).
    public func delete(_ key: String) async throws(Failure) {
        _ = try await self.send(.DELETE, key: key, limit: 1 << 16)
    }

    /// Every key under `prefix`, in S3's order (by their bytes), a thousand per request.
    public func list(prefix: String = "") async throws(Failure) -> [String] {
        var keys: [String] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", self.bucket.prefix + prefix)]
            if let token { query.append(("continuation-token", token)) }
            let body = try await self.send(.GET, key: nil, query: query, limit: 16 << 20)
            let page = S3XMLText(body)
            keys += page.values("Key").map { String($0.dropFirst(self.bucket.prefix.count)) }
            token = page.values("IsTruncated").first == "true" ? page.values("NextContinuationToken").first : nil
        } while token != nil
        return keys
    }

    /// One signed request: `key` of the bucket (nil: the bucket itself), with `query`; its body when it succeeds.
    private func send(
        _ method: HTTPMethod, key: String?, query: [(String, String)] = [], headers extra: [(String, String)] = [], body: [UInt8] = [],
        limit: Int
    ) async throws(Failure) -> [UInt8] {
        let endpoint = self.bucket.endpoint
        let base = endpoint.path.hasSuffix("/") ? String(endpoint.path.dropLast()) : endpoint.path
        let path = base + "/" + self.bucket.name + (key.map { "/" + self.bucket.prefix + $0 } ?? "")
        let encodedPath = PercentEncoding.encode(path, keepingSlash: true)
        let encodedQuery: [(key: String, value: String)] = query.map { pair in
            (key: PercentEncoding.encode(pair.0), value: PercentEncoding.encode(pair.1))
        }
        let sortedQuery = encodedQuery.sorted { left, right in left.key == right.key ? left.value < right.value : left.key < right.key }
        let canonicalQuery = sortedQuery.map { pair in pair.key + "=" + pair.value }.joined(separator: "&")
        var host = endpoint.host ?? ""
        if let port = endpoint.port { host += ":\(port)" }
        let amzDate = SigV4.format(Date())
        let payloadHash = Hex.lowercase(SHA256.hash(data: body))
        var signed = [("host", host), ("x-amz-content-sha256", payloadHash), ("x-amz-date", amzDate)]
        if let token = self.bucket.sessionToken { signed.append(("x-amz-security-token", token)) }
        let signedNames = signed.map(\.0).joined(separator: ";")
        let canonical = [
            method.rawValue, encodedPath, canonicalQuery, signed.map { "\($0.0):\($0.1)\n" }.joined(), signedNames, payloadHash,
        ].joined(separator: "\n")
        let signature = SigV4.signature(
            canonicalRequest: canonical, amzDate: amzDate, region: self.bucket.region, service: "s3", secret: self.bucket.secretAccessKey
        )
        let scope = "\(amzDate.prefix(8))/\(self.bucket.region)/s3/aws4_request"
        var request = HTTPClientRequest(
            url: "\(endpoint.scheme ?? "http")://\(host)\(encodedPath)\(canonicalQuery.isEmpty ? "" : "?" + canonicalQuery)"
        )
        request.method = method
        for (name, value) in signed where name != "host" { request.headers.add(name: name, value: value) }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        request.headers.add(
            name: "Authorization",
            value: "AWS4-HMAC-SHA256 Credential=\(self.bucket.accessKeyId)/\(scope), SignedHeaders=\(signedNames), Signature=\(signature)"
        )
        if !body.isEmpty { request.body = HTTPClientRequest.Body.bytes(ByteBuffer(bytes: body)) }
        let status: Int
        let answer: ByteBuffer
        do {
            let response = try await self.http.execute(request, timeout: self.timeout)
            status = Int(response.status.code)
            answer = try await response.body.collect(upTo: limit)
        } catch {
            throw Failure(status: 0, code: "Unreachable", message: "\(method.rawValue) \(path) at \(host): \(error)")
        }
        let bytes = Array(answer.readableBytesView)
        guard (200..<300).contains(status) else {
            let problem = S3XMLText(bytes)
            throw Failure(
                status: status, code: problem.values("Code").first ?? "HTTP\(status)",
                message: problem.values("Message").first ?? "\(method.rawValue) \(path) failed"
            )
        }
        return bytes
    }
}
