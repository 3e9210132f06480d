/// Generates app ids as the real service does: `d` followed by lowercase base-36 digits.
public enum AppID {
    /// `d` + 13 base-36 digits of a random 64-bit number (the real ids are 13 or 14 characters).
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return generate(using: &generator)
    }

    public static func generate<G: RandomNumberGenerator>(using generator: inout G) -> String {
        // At least 36^12 so the id always has 13 digits after the `d`, like most real ids.
        let low: UInt64 = 4_738_381_338_321_616_896
        let value = UInt64.random(in: low...UInt64.max, using: &generator)
        return "d" + String(value, radix: 36)
    }

    /// Whether `text` has the model's form of an app id: `d` followed by lowercase letters and digits (1 to 20 in all).
    public static func isValid(_ text: String) -> Bool {
        text.count <= 20 && text.first == "d" && text.count > 1
            && text.dropFirst().allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber) }
    }
}
