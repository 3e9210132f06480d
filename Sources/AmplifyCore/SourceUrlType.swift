/// What a manual deployment's `sourceUrl` names: a zip, or a folder (an S3 bucket prefix on AWS).
public enum SourceUrlType: String, Codable, Sendable, CaseIterable {
    case zip = "ZIP"
    case bucketPrefix = "BUCKET_PREFIX"
}
