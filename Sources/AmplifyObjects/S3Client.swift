import AmplifyWire
import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Objects of one `S3Bucket`, through S3's REST API (path-style, every request signed with SigV4): put, get (whole or
/// a byte range), delete, and list by prefix. Keys are given without the bucket's prefix and come back without it.
/// Failures are `S3Client.Failure`, with the store's own code and message (`NoSuchBucket`, `AccessDenied`, …) or why
/// it could not be reached.
public struct S3Client: Sendable {
    public let bucket: S3Bucket
    private let http: HTTPClient
    private let timeout: TimeAmount

    public init(bucket: S3Bucket, http: HTTPClient = S3Client.http, timeout: TimeAmount = .seconds(30)) {
        (self.bucket, self.http, self.timeout) = (bucket, http, timeout)
    }

    /// The HTTP client of object stores: a store that refuses a connection fails the request at once, instead of the
    /// request waiting out its timeout while connections are tried again (AsyncHTTPClient's default); what asked answers
    /// 503, and asks again later. A connection (or a turn for one of the pool's) may take 10 s. Never shut down, as
    /// `HTTPClient.shared`.
    public static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(10)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 16
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

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
        } catch where error.status == 404 && error.code != "NoSuchBucket" {
            return nil
        }
    }

    /// Whether there is an object `key` (a HEAD request).
    public func exists(_ key: String) async throws(Failure) -> Bool {
        do {
            _ = try await self.send(.HEAD, key: key, limit: 1 << 16)
            return true
        } catch where error.status == 404 {
            // A HEAD answer has no body to name the bucket missing in: the check at start found it.
            return false
        }
    }

    /// Removes `key` (nothing when it is not there).
    public func delete(_ key: String) async throws(Failure) {
        _ = try await self.send(.DELETE, key: key, limit: 1 << 16)
    }

    /// The most a part of a multipart upload holds (and the size above which a file goes in parts): one part at a time
    /// is in memory.
    public static let partBytes = 8 << 20

    /// Stores the file at `path` as `key`, read from disk a part at a time: one PUT up to `partBytes`, a multipart
    /// upload above (aborted when a part fails, so that no half object is left).
    public func upload(file path: String, as key: String) async throws(Failure) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(status: 0, code: "LocalFile", message: "\(path) cannot be read (errno \(errno)).") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Failure(status: 0, code: "LocalFile", message: "\(path) cannot be read (errno \(errno)).") }
        let size = Int(info.st_size)
        if size <= Self.partBytes {
            let bytes = try Self.read(fd, at: 0, count: size, path: path)
            _ = try await self.send(.PUT, key: key, headers: [("Content-Length", String(bytes.count))], body: bytes, limit: 1 << 16)
            return
        }
        let started = try await self.send(.POST, key: key, query: [("uploads", "")], limit: 1 << 16)
        guard let uploadId = S3XMLText(started).values("UploadId").first else {
            throw Failure(status: 200, code: "NoUploadId", message: "The store started a multipart upload of \(key) without an UploadId.")
        }
        do throws(Failure) {
            var parts: [String] = []
            var offset = 0
            while offset < size {
                let bytes = try Self.read(fd, at: offset, count: min(Self.partBytes, size - offset), path: path)
                let number = parts.count + 1
                let tag = try await self.sendForETag(
                    key: key, query: [("partNumber", String(number)), ("uploadId", uploadId)], body: bytes
                )
                parts.append("<Part><PartNumber>\(number)</PartNumber><ETag>\(S3XMLText.escape(tag))</ETag></Part>")
                offset += bytes.count
            }
            let completion = Array("<CompleteMultipartUpload>\(parts.joined())</CompleteMultipartUpload>".utf8)
            let answer = try await self.send(.POST, key: key, query: [("uploadId", uploadId)], body: completion, limit: 1 << 16)
            // S3 may answer 200 with an error in the body when completing fails late.
            if let code = S3XMLText(answer).values("Code").first {
                throw Failure(status: 200, code: code, message: S3XMLText(answer).values("Message").first ?? "completing the upload of \(key) failed")
            }
        } catch {
            _ = try? await self.send(.DELETE, key: key, query: [("uploadId", uploadId)], limit: 1 << 16)
            throw error
        }
    }

    /// A part's PUT; the ETag the store gave it.
    private func sendForETag(key: String, query: [(String, String)], body: [UInt8]) async throws(Failure) -> String {
        let (request, path, host) = self.request(.PUT, key: key, query: query, headers: [("Content-Length", String(body.count))], body: body)
        do {
            let response = try await self.execute(request)
            let bytes = Array(try await response.body.collect(upTo: 1 << 16).readableBytesView)
            guard (200..<300).contains(Int(response.status.code)) else {
                throw Self.failure(Int(response.status.code), bytes, method: .PUT, path: path)
            }
            guard let tag = response.headers.first(name: "ETag") else {
                throw Failure(status: Int(response.status.code), code: "NoETag", message: "The store took part of \(key) without an ETag.")
            }
            return tag
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(status: 0, code: "Unreachable", message: "PUT \(path) at \(host): \(error)")
        }
    }

    private static func read(_ fd: Int32, at offset: Int, count: Int, path: String) throws(Failure) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            guard got > 0 else { throw Failure(status: 0, code: "LocalFile", message: "\(path) could not be read whole (errno \(errno)).") }
            done += got
        }
        return bytes
    }

    /// Writes the object `key` to a new file at `path`, as its body arrives (never whole in memory); false (and no
    /// file) when there is no such object.
    public func download(_ key: String, to path: String) async throws(Failure) -> Bool {
        let (request, bucketPath, host) = self.request(.GET, key: key, query: [], headers: [], body: [])
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(status: 0, code: "LocalFile", message: "\(path) cannot be written (errno \(errno)).") }
        var complete = false
        defer {
            close(fd)
            if !complete { unlink(path) }
        }
        do {
            let response = try await self.execute(request)
            let status = Int(response.status.code)
            guard (200..<300).contains(status) else {
                let failure = Self.failure(status, Array(try await response.body.collect(upTo: 1 << 16).readableBytesView), method: .GET, path: bucketPath)
                if status == 404 && failure.code != "NoSuchBucket" { return false }
                throw failure
            }
            for try await chunk in response.body {
                try chunk.withUnsafeReadableBytes { pointer throws(Failure) in
                    var done = 0
                    while done < pointer.count {
                        let wrote = write(fd, pointer.baseAddress! + done, pointer.count - done)
                        guard wrote > 0 else { throw Failure(status: 0, code: "LocalFile", message: "\(path) could not be written (errno \(errno)).") }
                        done += wrote
                    }
                }
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(status: 0, code: "Unreachable", message: "GET \(bucketPath) at \(host): \(error)")
        }
        complete = true
        return true
    }

    /// Lists one key of the bucket: whether it is there and the credentials may read it (else the store's refusal).
    public func check() async throws(Failure) {
        _ = try await self.send(.GET, key: nil, query: [("list-type", "2"), ("max-keys", "1"), ("prefix", self.bucket.prefix)], limit: 1 << 20)
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
        let (request, path, host) = self.request(method, key: key, query: query, headers: extra, body: body)
        let status: Int
        let answer: ByteBuffer
        do {
            let response = try await self.execute(request)
            status = Int(response.status.code)
            answer = try await response.body.collect(upTo: limit)
        } catch {
            throw Failure(status: 0, code: "Unreachable", message: "\(method.rawValue) \(path) at \(host): \(error)")
        }
        let bytes = Array(answer.readableBytesView)
        guard (200..<300).contains(status) else { throw Self.failure(status, bytes, method: method, path: path) }
        return bytes
    }

    /// Sends the request; a 500, 502, 503 or 504 of the store's is tried again twice (after 50 and 250 ms), as S3's own
    /// clients do (rclone's answers 500 to puts that race into a folder it is making).
    private func execute(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        var attempt = 0
        while true {
            let response = try await self.http.execute(request, timeout: self.timeout)
            guard [500, 502, 503, 504].contains(response.status.code), attempt < 2 else { return response }
            _ = try? await response.body.collect(upTo: 1 << 20)
            attempt += 1
            try await Task.sleep(for: .milliseconds(attempt == 1 ? 50 : 250))
        }
    }

    private static func failure(_ status: Int, _ bytes: [UInt8], method: HTTPMethod, path: String) -> Failure {
        let problem = S3XMLText(bytes)
        return Failure(
            status: status, code: problem.values("Code").first ?? "HTTP\(status)",
            message: problem.values("Message").first ?? "\(method.rawValue) \(path) failed"
        )
    }

    /// The signed request, the bucket path it names, and the endpoint's host.
    private func request(
        _ method: HTTPMethod, key: String?, query: [(String, String)], headers extra: [(String, String)], body: [UInt8]
    ) -> (HTTPClientRequest, String, String) {
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
        if !body.isEmpty || method == .PUT || method == .POST { request.body = HTTPClientRequest.Body.bytes(ByteBuffer(bytes: body)) }
        return (request, path, host)
    }
}
