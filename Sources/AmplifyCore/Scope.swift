/// The account and region a request acts in. Every resource belongs to exactly one scope.
public struct Scope: Hashable, Sendable, Codable {
    public var account: String
    public var region: String

    public init(account: String, region: String) {
        self.account = account
        self.region = region
    }

    public static let defaultAccount = "000000000000"
    public static let defaultRegion = "us-east-1"

    /// The scope of a request from its SigV4 credential: the access key id is the account when it is
    /// 12 digits, the credential scope names the region.
    public init(accessKeyId: String?, region: String?) {
        let isAccount = accessKeyId.map { $0.utf8.count == 12 && $0.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } } ?? false
        self.account = isAccount ? accessKeyId! : Self.defaultAccount
        self.region = region.flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultRegion
    }

    /// The ARN prefix of resources in this scope (`arn:aws:amplify:<region>:<account>:`).
    public var arnPrefix: String { "arn:aws:amplify:\(self.region):\(self.account):" }
}
