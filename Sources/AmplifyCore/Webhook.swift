import Foundation

/// An incoming webhook: a URL that starts a WEB_HOOK job on a branch when it is POSTed to.
public struct Webhook: Codable, Sendable, Equatable {
    public var scope: Scope
    public var webhookId: String
    public var appId: String
    public var branchName: String
    public var description: String
    /// The secret in the webhook's URL; a POST without it starts nothing.
    public var token: String
    public var createTime: Date
    public var updateTime: Date

    public init(scope: Scope, appId: String, branchName: String, description: String, now: Date) {
        self.scope = scope
        self.webhookId = UUID().uuidString.lowercased()
        self.appId = appId
        self.branchName = branchName
        self.description = description
        self.token = Self.makeToken()
        self.createTime = now
        self.updateTime = now
    }

    public init(
        scope: Scope, webhookId: String, appId: String, branchName: String, description: String, token: String,
        createTime: Date, updateTime: Date
    ) {
        self.scope = scope
        self.webhookId = webhookId
        self.appId = appId
        self.branchName = branchName
        self.description = description
        self.token = token
        self.createTime = createTime
        self.updateTime = updateTime
    }

    /// The ARN sits under the app, although the API addresses webhooks by id alone.
    public var arn: String { "\(ARN.app(self.scope, appId: self.appId))/webhooks/\(self.webhookId)" }

    /// 40 letters and digits, like the real service's webhook tokens.
    static func makeToken() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<40).map { _ in alphabet.randomElement(using: &generator)! })
    }
}
