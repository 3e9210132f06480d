/// Comparing secrets (signatures, webhook tokens, basic auth) in time that does not depend on where they differ.
public enum ConstantTime {
    public static func equal(_ a: String, _ b: String) -> Bool {
        let a = Array(a.utf8)
        let b = Array(b.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
