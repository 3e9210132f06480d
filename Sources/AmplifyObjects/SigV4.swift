import Crypto
import Foundation

/// AWS Signature Version 4's parts that do not depend on what is signed: the signature of a canonical request under
/// a secret's key for a day, region and service, and its time format. The API's checks (`SigV4Verifier`), the
/// command line's requests (`SigV4Signer`) and the object store's (`S3Client`) build their canonical requests on them.
public enum SigV4 {
    /// The signature of a canonical request (SigV4's string to sign, under the key derived from `secret` for the day
    /// of `amzDate`, the region and the service), in lowercase hex.
    public static func signature(canonicalRequest: String, amzDate: String, region: String, service: String, secret: String) -> String {
        let date = String(amzDate.prefix(8))
        let credentialScope = "\(date)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, credentialScope, Hex.lowercase(SHA256.hash(data: Array(canonicalRequest.utf8)))]
            .joined(separator: "\n")
        var key = SymmetricKey(data: Array("AWS4\(secret)".utf8))
        for part in [date, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return Hex.lowercase(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
    }

    /// `yyyyMMdd'T'HHmmss'Z'`, UTC: SigV4's time format.
    public static func format(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }
}
