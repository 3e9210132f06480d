import AmplifyObjects
import Foundation

/// The object store of `--object-store` did not answer a listing at start: where it was asked, and what it said.
public struct ObjectStoreUnavailable: Error, CustomStringConvertible {
    let bucket: S3Bucket
    let failure: S3Client.Failure

    public var description: String {
        "s3://\(self.bucket.name)/\(self.bucket.prefix) at \(self.bucket.endpoint.absoluteString): \(self.failure)"
    }
}
