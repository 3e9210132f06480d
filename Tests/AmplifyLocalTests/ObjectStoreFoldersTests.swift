@testable import AmplifyObjects
import Testing

/// What a folder's listing may hold, without a store.
@Suite struct ObjectStoreFoldersTests {
    @Test func aListingsLinksMustStayInsideTheFolder() {
        #expect(ObjectStoreFolders.staysInside("a b/ünï/deep.txt", from: "link"))
        #expect(ObjectStoreFolders.staysInside("../x.txt", from: "dir/link"))
        #expect(!ObjectStoreFolders.staysInside("../x.txt", from: "link"))
        #expect(!ObjectStoreFolders.staysInside("/etc/passwd", from: "link"))
        #expect(ObjectStoreFolders.staysInside("a/../../x", from: "b/link"))  // b/a/../../x is x
        #expect(!ObjectStoreFolders.staysInside("a/../../../x", from: "b/link"))
    }

    @Test func aListingsPathsStayInsideTheFolder() {
        #expect(ObjectStoreFolders.isInside("a b/ünï/deep.txt"))
        for path in ["", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a/\0"] { #expect(!ObjectStoreFolders.isInside(path), "\(path)") }
    }
}
