import AmplifyCore
import AmplifyObjects
import AmplifyWire
import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// Checks AWS Signature Version 4 as AWS does: the `Authorization` header form and the presigned query
/// form, the payload hash, the credential scope (its service must be `amplify`), that `host` is signed, and the
/// clock skew in both directions.
///
/// On success it gives the request's scope: the region of the credential, and the account the credentials
/// file names for the key (else the 12-digit rule of `Scope`).
public struct SigV4Verifier: Sendable {
    /// A key the server knows: `ACCESS_KEY_ID:SECRET[:ACCOUNT_ID]`.
    public struct Credential: Sendable, Equatable {
        public var secret: String
        public var account: String?

        public init(secret: String, account: String? = nil) {
            self.secret = secret
            self.account = account
        }
    }

    let credentials: [String: Credential]
    /// How far a signature's time may be from the server's, either way, as Amplify's front end allows (5 minutes; S3
    /// and STS allow 15). A presigned URL may also be no later than this: one dated in the future would otherwise
    /// stay usable until then plus its `X-Amz-Expires`.
    static let allowedSkew: TimeInterval = 5 * 60
    /// The service a credential scope must name: a signature made for another service (`s3`) is not this one's.
    static let service = "amplify"
    /// The longest `X-Amz-Expires` AWS takes: 7 days.
    static let maxExpires: TimeInterval = 7 * 24 * 3600

    /// Reads a credentials file: one `ACCESS_KEY_ID:SECRET[:ACCOUNT_ID]` a line; blank lines and `#` comments are skipped.
    public static func credentials(fromFile path: String) throws -> [String: Credential] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var credentials: [String: Credential] = [:]
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw CredentialsFileError(message: "\(path):\(number + 1): expected ACCESS_KEY_ID:SECRET[:ACCOUNT_ID]")
            }
            if parts.count == 3 && !(parts[2].count == 12 && parts[2].allSatisfy(\.isNumber)) {
                throw CredentialsFileError(message: "\(path):\(number + 1): the account id must be 12 digits")
            }
            credentials[parts[0]] = Credential(secret: parts[1], account: parts.count == 3 ? parts[2] : nil)
        }
        return credentials
    }

    struct CredentialsFileError: Error, CustomStringConvertible {
        var message: String
        var description: String { self.message }
    }

    /// The signature's parts, from the header or the query.
    private struct Signed {
        var accessKeyId: String
        var date: String
        var region: String
        var service: String
        var signedHeaders: [String]
        var signature: String
        var amzDate: String
        var expires: TimeInterval?
        var presigned: Bool
    }

    /// The verified request's scope, or the AWS error for why it is refused.
    func verify(_ request: Request, body: [UInt8], now: Date) throws(AmplifyError) -> Scope {
        let query = Self.queryPairs(request.uri.query)
        let signed = try Self.signed(request, query: query)
        // Without `host` signed, a signature made for one server (or site) could be replayed at another.
        guard signed.signedHeaders.contains("host") else {
            throw AmplifyError(.invalidSignature, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
        }
        for name in signed.signedHeaders where name != "host" {
            guard let field = HTTPField.Name(name), request.headers[field] != nil else {
                throw AmplifyError(.incompleteSignature, "'\(name)' is named as a SignedHeader, but it does not exist in the HTTP request.")
            }
        }
        guard signed.service == Self.service else {
            throw AmplifyError(.invalidSignature, "Credential should be scoped to correct service: '\(Self.service)'.")
        }
        guard let credential = self.credentials[signed.accessKeyId] else {
            throw AmplifyError(.unrecognizedClient, "The security token included in the request is invalid.")
        }
        guard let time = Self.parse(signed.amzDate), signed.amzDate.hasPrefix(signed.date) else {
            throw AmplifyError(.incompleteSignature, "Date must be in ISO-8601 'basic format' and match the credential scope.")
        }
        try Self.requireCurrent(time, amzDate: signed.amzDate, expires: signed.expires, now: now)
        let payloadHash = try Self.payloadHash(request, body: body)
        let canonical = [
            request.method.rawValue,
            Self.canonicalPath(request.uri.path),
            Self.canonicalQuery(query.filter { !(signed.presigned && $0.key == "X-Amz-Signature") }),
            Self.canonicalHeaders(request, signed.signedHeaders) + "\n",
            signed.signedHeaders.joined(separator: ";"),
            payloadHash,
        ].joined(separator: "\n")
        let expected = SigV4.signature(
            canonicalRequest: canonical, amzDate: signed.amzDate, region: signed.region, service: signed.service, secret: credential.secret
        )
        guard ConstantTime.equal(expected, signed.signature.lowercased()) else {
            throw AmplifyError(
                .invalidSignature,
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
            )
        }
        return credential.account.map { Scope(account: $0, region: signed.region) }
            ?? Scope(accessKeyId: signed.accessKeyId, region: signed.region)
    }

    private static func signed(_ request: Request, query: [(key: String, value: String)]) throws(AmplifyError) -> Signed {
        func parts(_ credential: String, signedHeaders: String, signature: String, amzDate: String?) throws(AmplifyError) -> Signed {
            let scope = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard scope.count == 5, scope[4] == "aws4_request", let amzDate, !signature.isEmpty, !signedHeaders.isEmpty else {
                throw AmplifyError(.incompleteSignature, "The authorization is incomplete: it needs Credential, SignedHeaders, Signature and a date.")
            }
            return Signed(
                accessKeyId: scope[0], date: scope[1], region: scope[2], service: scope[3],
                signedHeaders: signedHeaders.split(separator: ";").map { $0.lowercased() }, signature: signature,
                amzDate: amzDate, expires: nil, presigned: false
            )
        }
        if let authorization = request.headers[.authorization] {
            guard authorization.hasPrefix("AWS4-HMAC-SHA256 ") else {
                throw AmplifyError(.incompleteSignature, "Only AWS4-HMAC-SHA256 signatures are accepted.")
            }
            var fields: [String: String] = [:]
            for field in authorization.dropFirst("AWS4-HMAC-SHA256 ".count).split(separator: ",") {
                let pair = field.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
                if pair.count == 2 { fields[pair[0]] = pair[1] }
            }
            let amzDate = request.headers[HTTPField.Name("x-amz-date")!]
            return try parts(fields["Credential"] ?? "", signedHeaders: fields["SignedHeaders"] ?? "", signature: fields["Signature"] ?? "", amzDate: amzDate)
        }
        let values = Dictionary(query.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        guard values["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256" else {
            throw AmplifyError(.missingAuthenticationToken, "Missing Authentication Token")
        }
        var signed = try parts(
            values["X-Amz-Credential"] ?? "", signedHeaders: values["X-Amz-SignedHeaders"] ?? "",
            signature: values["X-Amz-Signature"] ?? "", amzDate: values["X-Amz-Date"]
        )
        guard let expires = values["X-Amz-Expires"].flatMap(TimeInterval.init), expires > 0, expires <= Self.maxExpires else {
            throw AmplifyError(.incompleteSignature, "X-Amz-Expires must be a number of seconds up to 604800.")
        }
        signed.expires = expires
        signed.presigned = true
        return signed
    }

    /// Refuses a signature's time, as AWS words it: later than the skew allows (either form), or, for the header form,
    /// earlier; a presigned URL (`expires`) instead works until its date plus `X-Amz-Expires`.
    static func requireCurrent(_ time: Date, amzDate: String, expires: TimeInterval?, now: Date) throws(AmplifyError) {
        let minutes = Int(Self.allowedSkew / 60)
        if time > now.addingTimeInterval(Self.allowedSkew) {
            throw AmplifyError(
                .invalidSignature,
                "Signature not yet current: \(amzDate) is still later than \(SigV4.format(now.addingTimeInterval(Self.allowedSkew))) "
                    + "(\(SigV4.format(now)) + \(minutes) min.)"
            )
        }
        if let expires {
            let end = time.addingTimeInterval(expires)
            if now > end {
                throw AmplifyError(
                    .invalidSignature,
                    "Signature expired: \(SigV4.format(end)) is now earlier than \(SigV4.format(now)) (\(amzDate) + \(Int(expires)) s, X-Amz-Expires)."
                )
            }
        } else if time < now.addingTimeInterval(-Self.allowedSkew) {
            throw AmplifyError(
                .invalidSignature,
                "Signature expired: \(amzDate) is now earlier than \(SigV4.format(now.addingTimeInterval(-Self.allowedSkew))) "
                    + "(\(SigV4.format(now)) - \(minutes) min.)"
            )
        }
    }

    /// The hash the signature covers: the `x-amz-content-sha256` header when sent (and then it must be the
    /// body's), else the body's.
    private static func payloadHash(_ request: Request, body: [UInt8]) throws(AmplifyError) -> String {
        let actual = Hex.lowercase(SHA256.hash(data: body))
        guard let declared = request.headers[HTTPField.Name("x-amz-content-sha256")!] else { return actual }
        if declared != "UNSIGNED-PAYLOAD" && declared.lowercased() != actual {
            throw AmplifyError(.invalidSignature, "The provided 'x-amz-content-sha256' header does not match what was computed.")
        }
        return declared
    }

    /// The raw path with `.` and `..` segments and empty segments removed, then each byte outside the
    /// unreserved set escaped again (botocore's `quote(normalize_url_path(path), safe='/~')`).
    static func canonicalPath(_ rawPath: String) -> String {
        guard !rawPath.isEmpty else { return "/" }
        var output: [Substring] = []
        for segment in rawPath.split(separator: "/", omittingEmptySubsequences: true) where segment != "." {
            if segment == ".." { _ = output.popLast() } else { output.append(segment) }
        }
        var path = (rawPath.hasPrefix("/") ? "/" : "") + output.joined(separator: "/")
        if rawPath.hasSuffix("/") && !output.isEmpty { path += "/" }
        return PercentEncoding.encode(path, keepingSlash: true)
    }

    /// Query pairs as sent, percent-decoded.
    static func queryPairs(_ raw: String?) -> [(key: String, value: String)] {
        guard let raw, !raw.isEmpty else { return [] }
        return raw.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
            return (key, value)
        }
    }

    /// Pairs encoded as SigV4 wants them, sorted by key, then value.
    static func canonicalQuery(_ pairs: [(key: String, value: String)]) -> String {
        let encoded: [(key: String, value: String)] = pairs.map { pair in
            (key: PercentEncoding.encode(pair.key), value: PercentEncoding.encode(pair.value))
        }
        let sorted = encoded.sorted { left, right in
            left.key == right.key ? left.value < right.value : left.key < right.key
        }
        return sorted.map { pair in pair.key + "=" + pair.value }.joined(separator: "&")
    }

    private static func canonicalHeaders(_ request: Request, _ names: [String]) -> String {
        names.map { name -> String in
            let values: [String]
            if name == "host" {
                values = [request.head.authority ?? ""]
            } else if let field = HTTPField.Name(name) {
                values = request.headers[values: field]
            } else {
                values = []
            }
            let value = values.map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") }.joined(separator: ",")
            return "\(name):\(value)"
        }.joined(separator: "\n")
    }

    /// `yyyyMMdd'T'HHmmss'Z'`, UTC, SigV4's time format.
    static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ start: Int, _ end: Int) -> Int? { Int(String(decoding: bytes[start..<end], as: UTF8.self)) }
        guard let year = number(0, 4), let month = number(4, 6), let day = number(6, 8) else { return nil }
        guard let hour = number(9, 11), let minute = number(11, 13), let second = number(13, 15) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))
    }
}
