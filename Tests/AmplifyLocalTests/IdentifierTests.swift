import AmplifyCore
import AmplifyObjects
import AmplifyWire
@testable import AmplifyServer
import Crypto
import Foundation
import Testing

@Suite struct IdentifierTests {
    @Test func appIdsLookLikeTheRealOnes() {
        let pattern = WirePattern("d[a-z0-9]+")
        var seen = Set<String>()
        for _ in 0..<1000 {
            let id = AppID.generate()
            #expect(id.count == 14)
            #expect(pattern.matches(id))
            seen.insert(id)
        }
        #expect(seen.count == 1000)
    }

    @Test func arnsKeepBranchSlashesAndPadJobIds() {
        let scope = Scope(account: "123456789012", region: "us-west-1")
        #expect(ARN.app(scope, appId: "d1") == "arn:aws:amplify:us-west-1:123456789012:apps/d1")
        #expect(ARN.job(scope, appId: "d1", branchName: "aws/dev", jobId: 2)
            == "arn:aws:amplify:us-west-1:123456789012:apps/d1/branches/aws/dev/jobs/0000000002")
        #expect(ARN.paddedJobId(12_345_678_901) == "12345678901")
    }

    @Test func scopeComesFromTheCredential() {
        #expect(Scope(accessKeyId: "123456789012", region: "eu-west-2") == Scope(account: "123456789012", region: "eu-west-2"))
        #expect(Scope(accessKeyId: "AKIAEXAMPLE", region: nil) == Scope(account: "000000000000", region: "us-east-1"))
        #expect(Scope(accessKeyId: "12345678901", region: "") == Scope(account: "000000000000", region: "us-east-1"))
    }

    @Test func pageTokensBelongToOneList() throws {
        let token = PageToken(list: .jobs, position: 42)
        #expect(try PageToken(decoding: token.encoded, list: .jobs) == token)
        #expect(throws: AmplifyError.badRequest("Invalid nextToken.")) { try PageToken(decoding: token.encoded, list: .apps) }
        #expect(throws: AmplifyError.self) { try PageToken(decoding: "garbage!", list: .jobs) }
    }

    @Test func taggedResourcesComeFromARNs() {
        let scope = Scope(account: "123456789012", region: "us-east-1")
        let prefix = "arn:aws:amplify:us-east-1:123456789012:apps/d1"
        #expect(TaggedResource(arn: prefix, scope: scope) == .app(appId: "d1"))
        #expect(TaggedResource(arn: "\(prefix)/branches/feature/x", scope: scope) == .branch(appId: "d1", branchName: "feature/x"))
        #expect(TaggedResource(arn: "\(prefix)/branches/aws/dev/jobs/0000000002", scope: scope)
            == .job(JobKey(scope: scope, appId: "d1", branchName: "aws/dev", jobId: 2)))
        #expect(TaggedResource(arn: "\(prefix)/branches/x/jobs/2", scope: scope) == .branch(appId: "d1", branchName: "x/jobs/2"))
        #expect(TaggedResource(arn: "\(prefix)/webhooks/abc", scope: scope) == nil)
        #expect(TaggedResource(arn: "arn:aws:amplify:eu-west-1:123456789012:apps/d1", scope: scope) == nil)
        #expect(TaggedResource(arn: "arn:aws:amplify:us-east-1:123456789012:apps/", scope: scope) == nil)
    }

    @Test func displayNamesAreDNSLabels() {
        #expect(Branch.defaultDisplayName("main") == "main")
        #expect(Branch.defaultDisplayName("feature/X_1") == "feature-x-1")
    }
}

@Suite struct RequestIdTests {
    @Test func uuidsAreVersionFourInLowercaseAndDiffer() throws {
        let ids = (0..<1000).map { _ in RequestIds.uuid() }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            let parsed = try #require(UUID(uuidString: id))
            #expect(parsed.uuidString.lowercased() == id)
            let bytes = withUnsafeBytes(of: parsed.uuid) { Array($0) }
            #expect(bytes[6] >> 4 == 4 && bytes[8] >> 6 == 0b10)
        }
    }

    @Test func cloudFrontIdsAreFiftySixCharactersOfTheirAlphabetAndDiffer() {
        let ids = (0..<1000).map { _ in RequestIds.cloudFront() }
        #expect(Set(ids).count == ids.count)
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        #expect(ids.allSatisfy { $0.count == 56 && $0.allSatisfy(alphabet.contains) })
        // Every character of the alphabet turns up: the bits are spread over all 64.
        #expect(Set(ids.joined()) == alphabet)
    }
}

@Suite struct URLSignerTests {
    @Test func signaturesAreTheKeysHMACEveryTimeAndOnlyVerifyUnchanged() throws {
        let key = SymmetricKey(size: .bits256)
        let signer = URLSigner(key: key, lifetime: 60)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let first = signer.sign("/_amplify-local/logs/a%20b?x=1", now: now)
        let second = signer.sign("/_amplify-local/logs/c", now: now)
        // Each signature starts from the key alone: the same text signs the same after others were signed.
        #expect(signer.sign("/_amplify-local/logs/a%20b?x=1", now: now) == first)
        let unsigned = "/_amplify-local/logs/c?Expires=1800000060"
        let expected = HMAC<SHA256>.authenticationCode(for: Data(unsigned.utf8), using: key).map { String(format: "%02x", $0) }.joined()
        #expect(second == unsigned + "&Signature=" + expected)
        try signer.verify(first, now: now)
        try signer.verify(second, now: now.addingTimeInterval(60))
        #expect(throws: URLSigner.Refusal.expired) { try signer.verify(second, now: now.addingTimeInterval(61)) }
        #expect(throws: URLSigner.Refusal.mismatch) { try signer.verify(second.replacingOccurrences(of: "/c?", with: "/d?"), now: now) }
        #expect(throws: URLSigner.Refusal.missing) { try signer.verify("/_amplify-local/logs/c", now: now) }
    }
}

@Suite struct SigV4Tests {
    @Test func canonicalPathsEncodeTwiceAndDropDotSegments() {
        #expect(SigV4Verifier.canonicalPath("/apps/d1/branches/feature%2Fx") == "/apps/d1/branches/feature%252Fx")
        #expect(SigV4Verifier.canonicalPath("/apps/./d1/../d2//jobs/") == "/apps/d2/jobs/")
        #expect(SigV4Verifier.canonicalPath("") == "/")
    }

    @Test func canonicalQueriesAreSortedAndEncoded() {
        let pairs = SigV4Verifier.queryPairs("tagKeys=b&tagKeys=a&maxResults=5&nextToken=a%2Fb%2B")
        #expect(SigV4Verifier.canonicalQuery(pairs) == "maxResults=5&nextToken=a%2Fb%2B&tagKeys=a&tagKeys=b")
    }

    @Test func timestampsRoundTrip() throws {
        let date = try #require(SigV4Verifier.parse("20261129T044030Z"))
        #expect(date.timeIntervalSince1970 == 1_795_927_230)
        #expect(SigV4.format(date) == "20261129T044030Z")
        #expect(SigV4Verifier.parse("2026-11-29T04:40:30Z") == nil)
    }

    @Test func datesAreCurrentWithinFiveMinutesEitherWay() throws {
        let now = try #require(SigV4Verifier.parse("20261129T044030Z"))
        func check(_ offset: TimeInterval, expires: TimeInterval? = nil) -> String? {
            let time = now.addingTimeInterval(offset)
            do {
                try SigV4Verifier.requireCurrent(time, amzDate: SigV4.format(time), expires: expires, now: now)
                return nil
            } catch {
                #expect(error.code == .invalidSignature)
                return error.message
            }
        }
        #expect(check(300) == nil && check(-300) == nil)
        #expect(check(301) == "Signature not yet current: 20261129T044531Z is still later than 20261129T044530Z (20261129T044030Z + 5 min.)")
        #expect(check(-301) == "Signature expired: 20261129T043529Z is now earlier than 20261129T043530Z (20261129T044030Z - 5 min.)")
        // Presigned: as old as X-Amz-Expires allows, but never dated ahead beyond the skew.
        #expect(check(-3600, expires: 3600) == nil)
        #expect(check(-3601, expires: 3600)?.hasPrefix("Signature expired: 20261129T044029Z is now earlier than 20261129T044030Z") == true)
        #expect(check(301, expires: 604_800)?.hasPrefix("Signature not yet current: ") == true)
    }
}
