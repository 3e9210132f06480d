@testable import AmplifyObjects
import Testing

/// S3's XML answers read without libxml2: element texts with their entities resolved, nested and empty ones skipped.
@Suite struct S3XMLTextTests {
    @Test func aListingsKeysAndTokenComeBackUnescaped() {
        let listing = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><IsTruncated>true</IsTruncated>\
            <Contents><Key>a &amp; b/&lt;x&gt;&#233;&#x4E2D;.txt</Key><Size>3</Size></Contents><Contents><Key>c</Key></Contents>\
            <NextContinuationToken>t0k+/=</NextContinuationToken></ListBucketResult>
            """
        let text = S3XMLText(Array(listing.utf8))
        #expect(text.values("Key") == ["a & b/<x>é中.txt", "c"])
        #expect(text.values("IsTruncated") == ["true"] && text.values("NextContinuationToken") == ["t0k+/="])
        #expect(text.values("Contents") == [] && text.values("Missing") == [])
        let error = S3XMLText(Array("<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>".utf8))
        #expect(error.values("Code") == ["NoSuchBucket"] && error.values("Message") == ["The specified bucket does not exist"])
        #expect(S3XMLText(Array("not xml".utf8)).values("Code") == [])
    }
}
