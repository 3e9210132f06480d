import AmplifyCore
@testable import AmplifyHosting
import Testing

/// Site hosts, custom rules and paths, without a server.
@Suite struct HostingTests {
    @Test func hostsNameABranchOrTheProductionBranch() {
        #expect(SiteHost("main.d1abc.localhost:4566").map { [$0.appId, $0.displayName ?? "-"] } == ["d1abc", "main"])
        #expect(SiteHost("MAIN.D1ABC.LOCALHOST.").map { [$0.appId, $0.displayName ?? "-"] } == ["d1abc", "main"])
        #expect(SiteHost("d1abc.localhost").map { [$0.appId, $0.displayName ?? "-"] } == ["d1abc", "-"])
        #expect(SiteHost("main.d1abc.amplifyapp.com").map { [$0.appId, $0.displayName ?? "-"] } == ["d1abc", "main"])
        #expect(SiteHost("d1abc.amplifyapp.com:443").map { [$0.appId, $0.displayName ?? "-"] } == ["d1abc", "-"])
        #expect(SiteHost("amplifyapp.com") == nil && SiteHost("a.b.c.amplifyapp.com") == nil)
        #expect(SiteHost("localhost:4566") == nil)
        #expect(SiteHost("127.0.0.1:4566") == nil)
        #expect(SiteHost("a.b.d1abc.localhost") == nil)
        #expect(SiteHost("main..localhost") == nil)
        #expect(SiteHost("main.d1abc.localhost:") .map { [$0.appId, $0.displayName ?? "-"] } == ["d1abc", "main"])
        #expect(SiteHost("main.d1abc.localhost:80a") == nil)
        #expect(SiteHost(".localhost") == nil && SiteHost("") == nil)
        #expect(SiteHost("MAÏN.D1ABC.localhost").map { [$0.appId, $0.displayName ?? "-"] } == ["d1abc", "maïn"])
    }

    @Test func customDomainsAreNamesThatAreNotTheAPIs() {
        #expect(DomainSites.domainName("www.example.com:8080") == "www.example.com")
        #expect(DomainSites.domainName("WWW.Example.COM.") == "www.example.com")
        #expect(DomainSites.domainName("shop.exämple.de") == "shop.exämple.de")
        for host in ["127.0.0.1:4566", "localhost:4566", "[::1]:4566", "example", "main.d1abc.localhost:4566", "d1abc.amplifyapp.com",
                     "amplify.us-east-1.amazonaws.com", "10.0.0.1", ""] {
            #expect(DomainSites.domainName(host) == nil, "\(host)")
        }
    }

    func rule(_ source: String, _ target: String, _ status: String, condition: String? = nil) -> RedirectRule {
        RedirectRule(CustomRule(source: source, target: target, status: status, condition: condition))
    }

    @Test func placeholdersAndWildcardsCarryIntoTheTarget() {
        #expect(rule("/docs/<*>", "/documents/<*>", "301").action(path: "/docs/a/b.html", query: nil) == .redirect(status: 301, location: "/documents/a/b.html"))
        #expect(rule("/blog/<year>/<slug>", "/p/<slug>?y=<year>", "302").action(path: "/blog/2026/hi", query: nil) == .redirect(status: 302, location: "/p/hi?y=2026"))
        #expect(rule("/blog/<year>/<slug>", "/x", "302").action(path: "/blog/2026/hi/more", query: nil) == nil)
        #expect(rule("/a.html", "/b.html", "200").action(path: "/a.html", query: nil) == .rewrite("/b.html"))
        #expect(rule("/a.html", "/b.html", "200").action(path: "/aXhtml", query: nil) == nil)
        #expect(rule("/<*>", "/404.html", "404").action(path: "/x", query: nil) == .notFound(status: 404, target: "/404.html"))
        #expect(rule("/<*>", "/index.html", "404-200").action(path: "/x", query: nil) == .notFound(status: 200, target: "/index.html"))
        #expect(rule("/only", "/x", "301", condition: "<US>").action(path: "/only", query: nil) == nil)
        #expect(rule("/search?q=<term>", "/find/<term>", "301").action(path: "/search", query: "q=cats") == .redirect(status: 301, location: "/find/cats"))
    }

    @Test func theSinglePageAppRegexLeavesAssetsAlone() {
        let spa = rule("</^[^.]+$|\\.(?!(css|gif|ico|jpg|js|png|txt|svg|woff|ttf|map|json)$)([^.]+$)/>", "/index.html", "200")
        #expect(spa.action(path: "/users/42", query: "tab=1") == .rewrite("/index.html"))
        #expect(spa.action(path: "/page.html", query: nil) == .rewrite("/index.html"))
        #expect(spa.action(path: "/assets/app.js", query: "v=2") == nil)
    }

    @Test func rulesResolveTopDownAnd404RulesOnlyForMissingFiles() {
        let rules = [
            CustomRule(source: "/old", target: "/new", status: "301"), CustomRule(source: "/docs/<*>", target: "/d/<*>", status: "200"),
            CustomRule(source: "/<*>", target: "/index.html", status: "404-200"), CustomRule(source: "/x", target: "https://example.com/", status: "200"),
        ].map(RedirectRule.init)
        let exists: (String) -> Bool = { $0 == "/present.html" }
        #expect(RuleOutcome.resolve(path: "/old", query: nil, rules: rules, exists: exists) == RuleOutcome(ruleIndex: 0, action: .redirect(status: 301, location: "/new")))
        #expect(RuleOutcome.resolve(path: "/docs/a/b", query: nil, rules: rules, exists: exists) == RuleOutcome(ruleIndex: 1, action: .serve(path: "/d/a/b", status: 200)))
        #expect(RuleOutcome.resolve(path: "/present.html", query: nil, rules: rules, exists: exists) == RuleOutcome(ruleIndex: nil, action: .serve(path: "/present.html", status: 200)))
        #expect(RuleOutcome.resolve(path: "/gone", query: nil, rules: rules, exists: exists) == RuleOutcome(ruleIndex: 2, action: .serve(path: "/index.html", status: 200)))
        let offSite = [CustomRule(source: "/x", target: "https://example.com/", status: "200")].map(RedirectRule.init)
        #expect(RuleOutcome.resolve(path: "/x", query: nil, rules: offSite, exists: exists).action == .offSite(target: "https://example.com/"))
    }

    @Test func imagesAreMadeInTheBestFormatTheClientTakesAndTheManifestLists() {
        #expect(ImageOptimizer.format(of: "JPG", accept: "image/avif,image/webp,*/*", formats: ["image/avif", "image/webp"]) == "avif")
        #expect(ImageOptimizer.format(of: "jpg", accept: "image/avif,image/webp,*/*", formats: ["image/webp"]) == "webp")
        #expect(ImageOptimizer.format(of: "png", accept: "image/avif,image/webp", formats: nil) == "webp")  // Next.js's default list
        #expect(ImageOptimizer.format(of: "png", accept: "*/*", formats: ["image/webp"]) == "png")
        #expect(ImageOptimizer.format(of: "tiff", accept: nil, formats: nil) == "png")
        #expect(ImageOptimizer.format(of: "svg", accept: "image/webp", formats: nil) == nil)
        #expect(ImageOptimizer.format(of: "gif", accept: "image/webp", formats: nil) == nil)
    }

    @Test func uploadAndZipPathsStayInsideTheSite() {
        #expect(SiteFiles.safeRelativePath("assets/app.js") == "assets/app.js")
        #expect(SiteFiles.safeRelativePath("./index.html") == "index.html")
        for bad in ["../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", "", "a\\b", "a\u{0}b"] {
            #expect(SiteFiles.safeRelativePath(bad) == nil, "\(bad)")
        }
        #expect(SiteFiles.segment("feature/x") == "feature%2Fx")
        #expect(SiteFiles.segment("..") == "%2E%2E%00")
        #expect(SiteFiles.segment("ü") == "%C3%BC")
    }

    @Test func customHeadersMatchTheServedFile() {
        let headers = CustomHeaders(yaml: """
            customHeaders:
              - pattern: '**/*'
                headers:
                  - key: X-Frame-Options
                    value: DENY
              - pattern: '*.json'
                headers:
                  - key: Cache-Control
                    value: no-store
            """)
        #expect(headers.headers(for: "index.html").map(\.name) == ["X-Frame-Options"])
        #expect(headers.headers(for: "data.json").map(\.name) == ["X-Frame-Options", "Cache-Control"])
        #expect(CustomHeaders(yaml: "not: [yaml").headers(for: "a").isEmpty)
    }
}
