import Foundation

/// A custom domain of an app, with the subdomains that point at its branches.
///
/// There is no DNS or certificate authority here: the association walks through the statuses
/// Terraform's waiters accept, by the time since it was created or updated (`DomainAssociation.Phase`).
public struct DomainAssociation: Codable, Sendable, Equatable {
    public struct SubDomainSetting: Codable, Sendable, Equatable {
        public var prefix: String
        public var branchName: String

        public init(prefix: String, branchName: String) {
            self.prefix = prefix
            self.branchName = branchName
        }
    }

    public struct CertificateSettings: Codable, Sendable, Equatable {
        public var type: CertificateType
        public var customCertificateArn: String?

        public init(type: CertificateType, customCertificateArn: String?) {
            self.type = type
            self.customCertificateArn = customCertificateArn
        }
    }

    public var scope: Scope
    public var appId: String
    public var domainName: String
    public var enableAutoSubDomain: Bool
    public var autoSubDomainCreationPatterns: [String]?
    public var autoSubDomainIAMRole: String?
    public var subDomainSettings: [SubDomainSetting]
    public var certificateSettings: CertificateSettings
    /// The made-up names the DNS records point at, fixed at creation.
    public var verificationLabel: String
    public var distribution: String
    public var createTime: Date
    /// When the association was last created or updated: the status walk starts here.
    public var changeTime: Date
    /// Whether the last change was an update (its walk starts at UPDATING).
    public var updated: Bool
    /// The subdomains that go on serving while an update walks to AVAILABLE: those served when it was asked for, and
    /// kept by it (as a distribution goes on serving on AWS); nil before the first update.
    public var servingThroughUpdate: [SubDomainSetting]?
    /// Where a test asked the walk to stop, or to fail (`POST /_amplify-local/domains/control`); nil walks to AVAILABLE.
    public var outcome: Outcome?

    /// A walk that does not end AVAILABLE: one that stops at a phase, or one that fails with a reason.
    public enum Outcome: Codable, Sendable, Equatable {
        case stopAt(Phase)
        case failed(reason: String)
    }

    public init(scope: Scope, appId: String, domainName: String, now: Date) {
        self.scope = scope
        self.appId = appId
        self.domainName = domainName
        self.enableAutoSubDomain = false
        self.subDomainSettings = []
        self.certificateSettings = CertificateSettings(type: .amplifyManaged, customCertificateArn: nil)
        var generator = SystemRandomNumberGenerator()
        self.verificationLabel = String(UInt64.random(in: 0...UInt64.max, using: &generator), radix: 16)
        self.distribution = "d" + String(UInt64.random(in: 0...UInt64.max, using: &generator), radix: 36)
        self.createTime = now
        self.changeTime = now
        self.updated = false
    }

    public var arn: String { "\(ARN.app(self.scope, appId: self.appId))/domains/\(self.domainName)" }

    /// How far the association is, `elapsed` seconds after its last change.
    public enum Phase: String, Codable, Sendable, Equatable, CaseIterable {
        case creating = "CREATING"
        case updating = "UPDATING"
        case pendingVerification = "PENDING_VERIFICATION"
        case pendingDeployment = "PENDING_DEPLOYMENT"
        case available = "AVAILABLE"
        case failed = "FAILED"
    }

    /// Seconds each phase lasts before the next one.
    public static let phaseSeconds = 1.0

    public func phase(at now: Date) -> Phase {
        let steps = Int(max(0, now.timeIntervalSince(self.changeTime)) / Self.phaseSeconds)
        var walk: [Phase] =
            self.updated ? [.updating, .pendingDeployment, .available] : [.creating, .pendingVerification, .pendingDeployment, .available]
        switch self.outcome {
        case .stopAt(let phase)?:
            if let end = walk.firstIndex(of: phase) { walk = Array(walk[...end]) }
        case .failed?:
            // A failure shows where a real one does: at verification (or, for an update, right after it started).
            walk = self.updated ? [.updating, .failed] : [.creating, .pendingVerification, .failed]
        case nil:
            break
        }
        return walk[min(steps, walk.count - 1)]
    }

    /// Why the association failed, once it has.
    public func statusReason(at now: Date) -> String? {
        guard case .failed(let reason)? = self.outcome, self.phase(at: now) == .failed else { return nil }
        return reason
    }
}
