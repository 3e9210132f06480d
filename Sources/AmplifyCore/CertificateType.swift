/// Who provides a domain association's certificate.
public enum CertificateType: String, Codable, Sendable, CaseIterable {
    case amplifyManaged = "AMPLIFY_MANAGED"
    case custom = "CUSTOM"
}
