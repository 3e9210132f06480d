import Foundation

/// A Gen 1 backend environment of an app: a name with the CloudFormation stack and artifacts it stands for.
public struct BackendEnvironment: Codable, Sendable, Equatable {
    public var scope: Scope
    public var appId: String
    public var environmentName: String
    public var stackName: String
    public var deploymentArtifacts: String
    public var createTime: Date
    public var updateTime: Date

    /// A new environment; the stack and artifact names the service generates when they are not given.
    public init(scope: Scope, appId: String, environmentName: String, stackName: String?, deploymentArtifacts: String?, now: Date) {
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let base = "amplify-\(appId)-\(Self.slug(environmentName))-\(suffix)"
        self.scope = scope
        self.appId = appId
        self.environmentName = environmentName
        self.stackName = stackName ?? base
        self.deploymentArtifacts = deploymentArtifacts ?? "\(base)-deployment"
        self.createTime = now
        self.updateTime = now
    }

    public init(
        scope: Scope, appId: String, environmentName: String, stackName: String, deploymentArtifacts: String,
        createTime: Date, updateTime: Date
    ) {
        self.scope = scope
        self.appId = appId
        self.environmentName = environmentName
        self.stackName = stackName
        self.deploymentArtifacts = deploymentArtifacts
        self.createTime = createTime
        self.updateTime = updateTime
    }

    public var arn: String { "\(ARN.app(self.scope, appId: self.appId))/backendenvironments/\(self.environmentName)" }

    /// Stack names allow letters, digits and `-` only.
    private static func slug(_ name: String) -> String {
        String(name.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" }.prefix(40))
    }
}
