import AmplifyObjects
import Foundation
import Testing

/// The object store's client against a real S3-compatible server (scripts/with-object-store: SeaweedFS, or rclone's
/// `serve s3` with --rclone), found in the AMPLIFY_LOCAL_TEST_S3_* variables.
@Suite(.enabled(if: TestObjectStore.server != nil, "no object store: run under scripts/with-object-store"))
struct ObjectStoreTests {
    /// A client of the test bucket under a prefix of its own, or with other credentials.
    func client(prefix: String = "test-\(UUID().uuidString.prefix(8))", secret: String? = nil, bucket: String? = nil) throws -> S3Client {
        let server = try #require(TestObjectStore.server)
        return S3Client(
            bucket: try S3Bucket(
                url: "s3://\(bucket ?? server.bucket)/\(prefix)", endpoint: server.endpoint, region: "us-east-1", accessKeyId: server.key,
                secretAccessKey: secret ?? server.secret
            )
        )
    }

    @Test func objectsGoInComeBackWholeOrByRangeAndGo() async throws {
        let client = try self.client()
        let keys = ["site/index.html", "site/a b+c/ünï.txt", "site/deep/x?y=1&z", "other/one"]
        for (number, key) in keys.enumerated() { try await client.put(key, Array("object \(number): \(key)".utf8), contentType: "text/plain") }
        #expect(try await client.get("site/index.html") == Array("object 0: site/index.html".utf8))
        #expect(try await client.get("site/a b+c/ünï.txt").map { String(decoding: $0, as: UTF8.self) } == "object 1: site/a b+c/ünï.txt")
        #expect(try await client.get("site/index.html", range: 7...7) == Array("0".utf8))
        #expect(try await client.get("site/missing") == nil)
        #expect(try await client.list(prefix: "site/").sorted() == keys.filter { $0.hasPrefix("site/") }.sorted())
        for key in keys { try await client.delete(key) }
        try await client.delete("never-there")
        #expect(try await client.list() == [])
    }

    @Test func aListingOfMoreThanAThousandKeysComesWhole() async throws {
        let client = try self.client()
        try await withThrowingTaskGroup { group in
            for number in 0..<1_005 { group.addTask { try await client.put(String(format: "k/%05d", number), [1]) } }
            try await group.waitForAll()
        }
        let keys = try await client.list(prefix: "k/")
        #expect(keys.count == 1_005 && keys.first == "k/00000" && keys.last == "k/01004", "\(keys.count) keys, from \(keys.first ?? "none") to \(keys.last ?? "none")")
        try await withThrowingTaskGroup { group in
            for key in keys { group.addTask { try await client.delete(key) } }
            try await group.waitForAll()
        }
    }

    @Test func theStoresRefusalsComeWithItsCodeAndMessage() async throws {
        let impostor = try self.client(secret: "not-the-secret")
        let lost = try self.client(bucket: "amplify-local-no-such-bucket")
        do {
            try await impostor.put("x", [1])
            Issue.record("a put with the wrong secret was accepted")
        } catch {
            #expect(error.status == 403, "\(error)")
        }
        do {
            _ = try await lost.list()
            Issue.record("a bucket that is not there was listed")
        } catch {
            #expect(error.status == 404 && error.code == "NoSuchBucket", "\(error)")
        }
        #expect(throws: S3Bucket.Invalid.self) { try S3Bucket(url: "s3://No_Such", endpoint: "http://x", region: "r", accessKeyId: "a", secretAccessKey: "b") }
        #expect(throws: S3Bucket.Invalid.self) { try S3Bucket(url: "s3://bucket", endpoint: "ftp://x", region: "r", accessKeyId: "a", secretAccessKey: "b") }
    }

    @Test func aFolderGoesWithItsLinksAndModesAndABigFileInPartsAndComesBackWhole() async throws {
        let folders = ObjectStoreFolders(client: try self.client())
        let root = FileManager.default.temporaryDirectory.appending(path: "objects-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let source = root.appending(path: "source")
        try FileManager.default.createDirectory(at: source.appending(path: "a b/ünï"), withIntermediateDirectories: true)
        try Data("<h1>index</h1>".utf8).write(to: source.appending(path: "index.html"))
        try Data("deep".utf8).write(to: source.appending(path: "a b/ünï/deep.txt"))
        // Past a part's size, with a last part of its own: a multipart upload of three parts.
        let big = (0..<(2 * S3Client.partBytes + 12_345)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try Data(big).write(to: source.appending(path: "big.bin"))
        try FileManager.default.createSymbolicLink(atPath: source.appending(path: "link").path, withDestinationPath: "a b/ünï/deep.txt")
        chmod(source.appending(path: "index.html").path, 0o600)
        try await folders.push(folder: source, as: "sites/1")
        let copy = root.appending(path: "copy")
        #expect(try await folders.pull("sites/1", into: copy) == Int64(big.count + 14 + 4))
        #expect(try Data(contentsOf: copy.appending(path: "big.bin")) == Data(big))
        #expect(try String(contentsOf: copy.appending(path: "a b/ünï/deep.txt"), encoding: .utf8) == "deep")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: copy.appending(path: "link").path) == "a b/ünï/deep.txt")
        let mode = try FileManager.default.attributesOfItem(atPath: copy.appending(path: "index.html").path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        // One file, and a folder that was never whole (no listing): not fetched as one.
        try await folders.push(file: source.appending(path: "big.bin"), as: "files/big.bin")
        #expect(try await folders.has("files/big.bin"))
        #expect(try await folders.pull(file: "files/big.bin", into: root.appending(path: "one/big.bin")))
        #expect(try Data(contentsOf: root.appending(path: "one/big.bin")) == Data(big))
        #expect(try await folders.pull(file: "files/none", into: root.appending(path: "one/none")) == false)
        #expect(!FileManager.default.fileExists(atPath: root.appending(path: "one/none").path))
        #expect(try await folders.pull("files", into: root.appending(path: "never")) == nil)
        #expect(try await folders.list("files") == ["files/big.bin"])
        try await folders.remove("sites/1")
        try await folders.remove("files/big.bin")
        #expect(try await folders.client.list() == [])
        #expect(try await folders.pull("sites/1", into: root.appending(path: "gone")) == nil)
    }
}
