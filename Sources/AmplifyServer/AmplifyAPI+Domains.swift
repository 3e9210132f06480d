import AmplifyCore
import AmplifyWire
import Foundation

extension AmplifyAPI {
    func createDomainAssociation(
        _ input: Wire.CreateDomainAssociationRequest, _ call: APICall
    ) async throws -> Wire.CreateDomainAssociationResult {
        let now = self.clock.now()
        var domain = DomainAssociation(scope: call.scope, appId: input.appId, domainName: input.domainName, now: now)
        try domain.apply(
            enableAutoSubDomain: input.enableAutoSubDomain, subDomainSettings: input.subDomainSettings,
            autoSubDomainCreationPatterns: input.autoSubDomainCreationPatterns, autoSubDomainIAMRole: input.autoSubDomainIAMRole,
            certificateSettings: input.certificateSettings
        )
        domain.outcome = self.domainControls.take(scope: call.scope, appId: domain.appId, domainName: domain.domainName)
        try await self.store.createDomainAssociation(domain)
        return Wire.CreateDomainAssociationResult(domainAssociation: Wire.DomainAssociation(domain, now: now))
    }

    func getDomainAssociation(_ input: Wire.GetDomainAssociationRequest, _ call: APICall) async throws -> Wire.GetDomainAssociationResult {
        let domain = try await self.store.domainAssociation(call.scope, appId: input.appId, domainName: input.domainName)
        return Wire.GetDomainAssociationResult(domainAssociation: Wire.DomainAssociation(domain, now: self.clock.now()))
    }

    func listDomainAssociations(
        _ input: Wire.ListDomainAssociationsRequest, _ call: APICall
    ) async throws -> Wire.ListDomainAssociationsResult {
        let page = try await self.store.listDomainAssociations(
            call.scope, appId: input.appId, after: try Self.pageToken(input.nextToken, list: .domains),
            limit: Self.pageSize(input.maxResults, default: 50)
        )
        let now = self.clock.now()
        return Wire.ListDomainAssociationsResult(
            domainAssociations: page.items.map { Wire.DomainAssociation($0, now: now) }, nextToken: page.nextToken
        )
    }

    func updateDomainAssociation(
        _ input: Wire.UpdateDomainAssociationRequest, _ call: APICall
    ) async throws -> Wire.UpdateDomainAssociationResult {
        let now = self.clock.now()
        let domain = try await self.store.updateDomainAssociation(call.scope, appId: input.appId, domainName: input.domainName) { domain in
            let previous = domain
            try domain.apply(
                enableAutoSubDomain: input.enableAutoSubDomain, subDomainSettings: input.subDomainSettings,
                autoSubDomainCreationPatterns: input.autoSubDomainCreationPatterns, autoSubDomainIAMRole: input.autoSubDomainIAMRole,
                certificateSettings: input.certificateSettings
            )
            domain.restartWalk(after: previous, now: now)
        }
        return Wire.UpdateDomainAssociationResult(domainAssociation: Wire.DomainAssociation(domain, now: now))
    }

    func deleteDomainAssociation(
        _ input: Wire.DeleteDomainAssociationRequest, _ call: APICall
    ) async throws -> Wire.DeleteDomainAssociationResult {
        let domain = try await self.store.deleteDomainAssociation(call.scope, appId: input.appId, domainName: input.domainName)
        return Wire.DeleteDomainAssociationResult(domainAssociation: Wire.DomainAssociation(domain, now: self.clock.now()))
    }
}

extension DomainAssociation {
    /// Applies the members a create or update request sets.
    mutating func apply(
        enableAutoSubDomain: Bool?, subDomainSettings: [Wire.SubDomainSetting]?, autoSubDomainCreationPatterns: [String]?,
        autoSubDomainIAMRole: String?, certificateSettings: Wire.CertificateSettings?
    ) throws(AmplifyError) {
        if let enableAutoSubDomain { self.enableAutoSubDomain = enableAutoSubDomain }
        if let subDomainSettings {
            self.subDomainSettings = subDomainSettings.map { SubDomainSetting(prefix: $0.prefix, branchName: $0.branchName) }
        }
        if let autoSubDomainCreationPatterns { self.autoSubDomainCreationPatterns = autoSubDomainCreationPatterns }
        if let autoSubDomainIAMRole { self.autoSubDomainIAMRole = autoSubDomainIAMRole }
        if let certificateSettings {
            if certificateSettings.type == .custom && (certificateSettings.customCertificateArn ?? "").isEmpty {
                throw .badRequest("customCertificateArn is required when the certificate type is CUSTOM.")
            }
            self.certificateSettings = CertificateSettings(
                type: CertificateType(certificateSettings.type), customCertificateArn: certificateSettings.customCertificateArn
            )
        }
    }
}

extension Wire.DomainAssociation {
    /// Where an update stands, by the phase its walk is in.
    private static func updateStatus(_ phase: DomainAssociation.Phase) -> Wire.UpdateStatus {
        switch phase {
        case .available: .updateComplete
        case .failed: .updateFailed
        default: .pendingDeployment
        }
    }

    /// The association as it stands at `now`: status, DNS records and verification follow its phase.
    init(_ domain: DomainAssociation, now: Date) {
        let phase = domain.phase(at: now)
        let deployed = phase == .pendingDeployment || phase == .available
        let managed = domain.certificateSettings.type == .amplifyManaged
        let verificationRecord =
            managed && phase != .creating
            ? "_\(domain.verificationLabel).\(domain.domainName). CNAME _\(String(domain.verificationLabel.reversed())).acm-validations.aws."
            : nil
        let subDomains = domain.subDomainSettings.map { setting in
            Wire.SubDomain(
                subDomainSetting: Wire.SubDomainSetting(prefix: setting.prefix, branchName: setting.branchName),
                verified: deployed,
                dnsRecord: "\(setting.prefix) CNAME \(deployed ? "\(domain.distribution).cloudfront.net" : "<pending>")"
            )
        }
        self.init(
            domainAssociationArn: domain.arn, domainName: domain.domainName, enableAutoSubDomain: domain.enableAutoSubDomain,
            autoSubDomainCreationPatterns: domain.autoSubDomainCreationPatterns, autoSubDomainIAMRole: domain.autoSubDomainIAMRole,
            domainStatus: Wire.DomainStatus(phase),
            updateStatus: domain.updated ? Self.updateStatus(phase) : nil,
            statusReason: domain.statusReason(at: now) ?? "", certificateVerificationDNSRecord: verificationRecord, subDomains: subDomains,
            certificate: Wire.Certificate(
                type: Wire.CertificateType(domain.certificateSettings.type), customCertificateArn: domain.certificateSettings.customCertificateArn,
                certificateVerificationDNSRecord: verificationRecord
            )
        )
    }
}
