import Foundation

/// The S3-compatible server tests may use (scripts/with-object-store), from its AMPLIFY_LOCAL_TEST_S3_* variables.
enum TestObjectStore {
    static var server: (endpoint: String, bucket: String, key: String, secret: String)? {
        let environment = ProcessInfo.processInfo.environment
        guard let endpoint = environment["AMPLIFY_LOCAL_TEST_S3_ENDPOINT"], let bucket = environment["AMPLIFY_LOCAL_TEST_S3_BUCKET"],
            let key = environment["AMPLIFY_LOCAL_TEST_S3_ACCESS_KEY_ID"], let secret = environment["AMPLIFY_LOCAL_TEST_S3_SECRET_ACCESS_KEY"]
        else { return nil }
        return (endpoint, bucket, key, secret)
    }
}
