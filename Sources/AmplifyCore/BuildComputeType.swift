/// The size of the build instance an app's jobs run on.
public enum BuildComputeType: String, Codable, Sendable, CaseIterable {
    case standard8gb = "STANDARD_8GB"
    case large16gb = "LARGE_16GB"
    case xlarge72gb = "XLARGE_72GB"
}
