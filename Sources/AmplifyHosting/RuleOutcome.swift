import AmplifyCore

/// What an app's custom rules make of a request path, top-down, the first rule that applies winning: the path
/// served and its status, or a redirect. One resolution for serving sites and for explaining them (the console's
/// rule tester, `POST /_amplify-local/explain`).
public struct RuleOutcome: Sendable, Equatable {
    public enum Action: Sendable, Equatable {
        /// Serve `path` (the request's own, or a rewrite's or 404 rule's target) with `status`.
        case serve(path: String, status: Int)
        case redirect(status: Int, location: String)
        /// A rewrite to another host, which amplify-local does not proxy.
        case offSite(target: String)
    }

    /// The index in the app's `customRules` of the rule that applied, nil when none did.
    public var ruleIndex: Int?
    public var action: Action
    /// The indexes of the rules whose matching ran out of the request's budget (taken as not matching).
    public var gaveUp: [Int] = []

    /// `exists` tells whether the site has a file (or a folder with an index.html) at a path: 404 rules apply only
    /// when it has not. All the rules share one `RedirectRule.Budget`: however many an app has, a request costs at
    /// most that much matching, and a rule that spends its share gives up without taking the others'.
    public static func resolve(path: String, query: String?, rules: [RedirectRule], exists: (String) -> Bool) -> RuleOutcome {
        var budget = RedirectRule.Budget()
        var gaveUp: [Int] = []
        for (index, rule) in rules.enumerated() {
            let action: RedirectRule.Action
            switch rule.match(path: path, query: query, budget: &budget) {
            case .matched(let matched): action = matched
            case .noMatch: continue
            case .gaveUp:
                gaveUp.append(index)
                continue
            }
            switch action {
            case .redirect(let code, let location):
                return RuleOutcome(ruleIndex: index, action: .redirect(status: code, location: location), gaveUp: gaveUp)
            case .rewrite(let target):
                guard target.hasPrefix("/") else { return RuleOutcome(ruleIndex: index, action: .offSite(target: target), gaveUp: gaveUp) }
                return RuleOutcome(ruleIndex: index, action: .serve(path: target, status: 200), gaveUp: gaveUp)
            case .notFound(let code, let target):
                if exists(path) { continue }
                return RuleOutcome(ruleIndex: index, action: .serve(path: target, status: code), gaveUp: gaveUp)
            }
        }
        return RuleOutcome(ruleIndex: nil, action: .serve(path: path, status: 200), gaveUp: gaveUp)
    }
}
