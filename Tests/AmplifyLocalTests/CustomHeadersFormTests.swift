import AmplifyCore
@testable import AmplifyHosting
import Testing

/// The app's `customHeaders` as AWS reads them: the monorepo form by app root, the top level a mapping, and which
/// values a response can carry.
@Suite struct CustomHeadersFormTests {
    static let monorepo = """
        applications:
          - appRoot: docs
            customHeaders:
              - pattern: '**/*'
                headers: [{key: X-App, value: docs}]
          - appRoot: /apps/web/
            customHeaders:
              - pattern: '*.html'
                headers: [{key: X-App, value: web}]
        """

    @Test func theMonorepoFormGivesTheHeadersOfTheAppRoot() {
        #expect(CustomHeaders(yaml: Self.monorepo, appRoot: "apps/web").headers(for: "index.html").map(\.value) == ["web"])
        #expect(CustomHeaders(yaml: Self.monorepo, appRoot: "docs").headers(for: "a/b.txt").map(\.value) == ["docs"])
        #expect(CustomHeaders(yaml: Self.monorepo, appRoot: "other").headers(for: "index.html").isEmpty)
        // An app that is not a monorepo app reads customHeaders only.
        #expect(CustomHeaders(yaml: Self.monorepo).headers(for: "index.html").isEmpty)
    }

    @Test func theTopLevelMustBeKeyValuePairs() {
        let words = "Invalid spec, yaml parsing error: Invalid spec, top level must be key value pairs"
        #expect(CustomHeaders.problem("- pattern: '**/*'\n  headers: []\n") == words)
        #expect(CustomHeaders.problem("a string") == words)
        #expect(CustomHeaders.problem("customHeaders: [unclosed")?.hasPrefix("Invalid spec, yaml parsing error: ") == true)
        #expect(CustomHeaders.problem(Self.monorepo) == nil)
        #expect(CustomHeaders.problem("") == nil)
        #expect(CustomHeaders.problem("  \n") == nil)
    }

    @Test func aValueWithALineBreakCannotBeServed() {
        #expect(HeaderValue.isServable("max-age=31536000; includeSubDomains"))
        #expect(HeaderValue.isServable("a\tb"))
        #expect(!HeaderValue.isServable("default-src 'self';\n"))
        #expect(!HeaderValue.isServable("a\rb"))
        #expect(!HeaderValue.isServable("a\u{7F}"))
    }
}
