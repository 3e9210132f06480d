import AmplifyCore
@testable import AmplifyHosting
import Foundation
import Testing

/// What one request may cost an app's rules, routes and headers, and where a redirect may send it (issue 33).
@Suite struct BoundedRulesTests {
    func rule(_ source: String, _ target: String, _ status: String = "301") -> RedirectRule {
        RedirectRule(CustomRule(source: source, target: target, status: status, condition: nil))
    }

    @Test func aBacktrackingRegexGivesUpWithinItsBudgetAndTheNextRuleAnswers() {
        let path = "/" + String(repeating: "a", count: 28) + "!"
        let started = ContinuousClock.now
        var budget = RedirectRule.Budget()
        #expect(rule("</^/(a+)+$/>", "/index.html", "200").match(path: path, query: nil, budget: &budget) == .gaveUp)
        #expect(budget.remaining == RedirectRule.Budget.perRequest - RedirectRule.Budget.perRule)
        #expect(ContinuousClock.now - started < .seconds(1))
        // Once the request's budget is spent, later regular expressions are not run at all.
        var spent = RedirectRule.Budget(0)
        #expect(rule("</^/a/>", "/x", "200").match(path: "/a", query: nil, budget: &spent) == .gaveUp)
        let rules = [rule("</^/(a+)+$/>", "/index.html", "200"), rule("/<*>", "/fallback.html", "200")]
        let outcome = RuleOutcome.resolve(path: path, query: nil, rules: rules) { _ in false }
        #expect(outcome.gaveUp == [0])
        #expect(outcome.ruleIndex == 1 && outcome.action == .serve(path: "/fallback.html", status: 200))
    }

    @Test func theRegexesRealProjectsWriteStillMatchLongPathsWithinTheBudget() {
        let spa = rule("</^[^.]+$|\\.(?!(css|gif|ico|jpg|js|png|txt|svg|woff|ttf|map|json)$)([^.]+$)/>", "/index.html", "200")
        let other = rule("</^((?!\\.(css|gif|ico|jpg|js|png|txt|svg|woff|ttf)$).)*$/>", "/index.html", "200")
        let long = "/" + String(repeating: "segment/", count: 1_000) + "page"
        for candidate in [spa, other] {
            var budget = RedirectRule.Budget()
            #expect(candidate.match(path: long, query: nil, budget: &budget) == .matched(.rewrite("/index.html")))
            // A path of 8,000 characters takes a small part of one rule's share.
            #expect(RedirectRule.Budget.perRequest - budget.remaining < RedirectRule.Budget.perRule / 3)
            #expect(candidate.match(path: "/assets/app.js", query: nil, budget: &budget) == .noMatch)
        }
        #expect(rule("</^/(a+)+$/>", "/ok", "200").action(path: "/aaaa", query: nil) == .rewrite("/ok"))
    }

    @Test func aRedirectBuiltFromThePathStaysOnTheSite() {
        let go = rule("/go/<*>", "/<*>")
        for path in ["/go//evil.example/x", "/go/\\evil.example/x", "/go/\t/evil.example/x", "/go//\\//evil.example/x", "/go/https://evil.example/x"] {
            guard case .redirect(_, let location) = go.action(path: path, query: nil) else {
                Issue.record("no redirect for \(path)")
                continue
            }
            #expect(location.hasPrefix("/") && !location.hasPrefix("//") && !location.hasPrefix("/\\") && !location.hasPrefix("/\t"), "\(location)")
            #expect(!RedirectRule.isAbsolute(location), "\(location)")
        }
        #expect(go.action(path: "/go/docs/", query: nil) == .redirect(status: 301, location: "/docs/"))
        #expect(rule("/<*>", "<*>").action(path: "//evil.example", query: nil) == .redirect(status: 301, location: "/evil.example"))
        #expect(rule("/<*>", "<*>").action(path: "/page.html", query: nil) == .redirect(status: 301, location: "page.html"))
        // Targets written with a host keep it.
        #expect(rule("/away/<*>", "https://example.com/<*>").action(path: "/away//x", query: nil) == .redirect(status: 301, location: "https://example.com//x"))
        #expect(rule("/cdn/<*>", "//cdn.example.com/<*>").action(path: "/cdn/a.js", query: nil) == .redirect(status: 301, location: "//cdn.example.com/a.js"))
        #expect(RedirectRule.isAbsolute("mailto:someone@example.com") && !RedirectRule.isAbsolute("/a:b") && !RedirectRule.isAbsolute("a/b:c"))
    }

    @Test func wildcardsMatchInLinearTimeWithTheSameAnswers() {
        let route = DeployManifest.Route(path: "/" + String(repeating: "*a", count: 12) + "*b", target: .init(kind: .staticFiles))
        let started = ContinuousClock.now
        #expect(!route.matches("/" + String(repeating: "a", count: 2_000)))
        #expect(route.matches("/" + String(repeating: "xa", count: 12) + "b"))
        #expect(ContinuousClock.now - started < .seconds(1))
        let cases: [(String, String, Bool)] = [
            ("/*", "/", true), ("/*", "/a/b", true), ("/assets/*", "/assets/", true), ("/assets/*", "/asset", false),
            ("/*.*", "/a.b", true), ("/*.*", "/ab", false), ("/api", "/api", true), ("/api", "/api/", false), ("/a*b*c", "/abbbc", true),
            ("/a*b*c", "/acb", false), ("/*x", "/x", true), ("/**", "/", true),
        ]
        for (pattern, path, expected) in cases {
            #expect(DeployManifest.Route(path: pattern, target: .init(kind: .staticFiles)).matches(path) == expected, "\(pattern) \(path)")
        }
        #expect(FileGlob("**/*").matches("index.html") && FileGlob("**/*").matches("a/b/c.js") && !FileGlob("*.html").matches("docs/index.html"))
        #expect(FileGlob("a/**/b/**/c").matches("a/b/c") && FileGlob("a/**/b/**/c").matches("a/x/y/b/z/c") && !FileGlob("a/**/b/**/c").matches("a/c/b"))
        #expect(FileGlob("img/?.png").matches("img/a.png") && !FileGlob("img/?.png").matches("img/ab.png") && FileGlob("assets/**").matches("assets"))
        let deep = FileGlob(String(repeating: "**/", count: 15) + "*a*a*a*a*a*a*a*a*b")
        let started2 = ContinuousClock.now
        #expect(!deep.matches(String(repeating: "x/", count: 30) + String(repeating: "a", count: 200)))
        #expect(deep.matches("x/aaaaaaaab"))
        #expect(ContinuousClock.now - started2 < .seconds(1))
    }

    @Test func customHeadersWithYAMLAnchorsAreRefusedAndAnchorFreeOnesRead() throws {
        let laughs = "customHeaders:\n  - pattern: '**/*'\n    headers:\n      - key: X\n        value: &a [x,x,x,x,x,x,x,x,x]\n"
            + (1..<9).map { level in
                let name = String(UnicodeScalar(UInt8(ascii: "a") + UInt8(level)))
                let previous = String(UnicodeScalar(UInt8(ascii: "a") + UInt8(level - 1)))
                return "      - key: X\(level)\n        value: &\(name) [\(Array(repeating: "*" + previous, count: 9).joined(separator: ","))]\n"
            }.joined()
        let problem = try #require(CustomHeadersText.problem(laughs))
        #expect(problem.contains("customHeaders has a YAML anchor (&a, line 5, column 16)"))
        let started = ContinuousClock.now
        #expect(CustomHeaders(yaml: laughs).entries.isEmpty)
        #expect(ContinuousClock.now - started < .seconds(1))
        for anchored in ["&a [x]", "headers: &h\n  - key: a", "- &x a", "{k: &v a}", "[&v a]", "\u{FEFF}&a x", "a:\n\t&b c", "? &k a\n: b"] {
            #expect(CustomHeadersText.problem(anchored) != nil, "\(anchored)")
        }
        let usual = """
            customHeaders:
              - pattern: '**/*'
                headers:
                  - key: Content-Security-Policy
                    value: "default-src 'self' *.example.com; img-src * data:"
                  - key: X-Query
                    value: a=1&b=2 & more
            """
        #expect(CustomHeadersText.problem(usual) == nil)
        let headers = CustomHeaders(yaml: usual).headers(for: "index.html")
        #expect(headers.map(\.name) == ["Content-Security-Policy", "X-Query"])
        #expect(headers.last?.value == "a=1&b=2 & more")
    }
}
