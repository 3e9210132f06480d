/// `*` wildcard matching in time proportional to the pattern's length times the text's at worst, however many `*`
/// a pattern has: a recursive matcher takes exponential time on `/*a*a*a*a*a*a*a*a*b` against a long run of `a`,
/// which a deployment's routes or an app's header patterns could make every request pay.
///
/// The classic greedy two-pointer match: on a mismatch, only the last `*` seen takes one more element and the
/// match goes on from there. Earlier stars never need to be revisited: whatever they could take instead, the last
/// star can take as well.
public enum Wildcard {
    /// Whether `text` matches `pattern`, where `*` (`star`) matches any run of elements (none included), `?`
    /// (`any`, when given) exactly one, and every other element itself.
    public static func matches<Element: Equatable>(pattern: [Element], text: [Element], star: Element, any: Element? = nil) -> Bool {
        Self.matches(pattern: pattern, text: text, isStar: { $0 == star }) { element, item in
            element == item || element == any
        }
    }

    /// Byte patterns where `*` is the only wildcard (deployment routes).
    public static func matches(pattern: [UInt8], text: [UInt8]) -> Bool {
        Self.matches(pattern: pattern, text: text, star: UInt8(ascii: "*"))
    }

    /// The general form: `isStar` tells the elements of `pattern` that match any run of `text`; `matchesOne` whether
    /// another element of `pattern` matches one element of `text`.
    public static func matches<P, T>(pattern: [P], text: [T], isStar: (P) -> Bool, matchesOne: (P, T) -> Bool) -> Bool {
        var p = 0
        var t = 0
        // The position after the last star, and the text position that star's run ends at.
        var starAt: Int?
        var resumeText = 0
        while t < text.count {
            if p < pattern.count, isStar(pattern[p]) {
                starAt = p
                resumeText = t
                p += 1
            } else if p < pattern.count, matchesOne(pattern[p], text[t]) {
                p += 1
                t += 1
            } else if let star = starAt {
                resumeText += 1
                t = resumeText
                p = star + 1
            } else {
                return false
            }
        }
        while p < pattern.count, isStar(pattern[p]) { p += 1 }
        return p == pattern.count
    }
}
