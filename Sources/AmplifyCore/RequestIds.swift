import Synchronization

/// Ids for requests: a random UUID for `x-amzn-RequestId`, 56 characters like CloudFront's for `x-amz-cf-id`. Drawn from
/// one generator seeded from the system's random source, so each costs no system call (a UUID from Foundation costs
/// one); unique within a run, since SplitMix64 does not repeat within 2^64 draws. Not secrets.
public enum RequestIds {
    /// A version 4 UUID in lowercase, `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`.
    public static func uuid() -> String {
        var (high, low) = generator.withLock { ($0.next(), $0.next()) }
        high = (high & ~0xF000) | 0x4000  // version 4
        low = (low & ~(0xC << 60)) | (0x8 << 60)  // variant 10xx
        return String(unsafeUninitializedCapacity: 36) { characters in
            var index = 0
            func put(_ value: UInt64, nibbles: Int) {
                for shift in stride(from: (nibbles - 1) * 4, through: 0, by: -4) {
                    characters[index] = hexDigits[Int((value >> UInt64(shift)) & 0xF)]
                    index += 1
                }
            }
            func dash() {
                characters[index] = UInt8(ascii: "-")
                index += 1
            }
            put(high >> 32, nibbles: 8)
            dash()
            put(high >> 16, nibbles: 4)
            dash()
            put(high, nibbles: 4)
            dash()
            put(low >> 48, nibbles: 4)
            dash()
            put(low, nibbles: 12)
            return index
        }
    }

    /// 56 characters of `A-Za-z0-9-_`, 6 random bits each, like CloudFront's request ids.
    public static func cloudFront() -> String {
        let bits = generator.withLock { ($0.next(), $0.next(), $0.next(), $0.next(), $0.next(), $0.next()) }
        return String(unsafeUninitializedCapacity: 56) { characters in
            withUnsafeBytes(of: bits) { bytes in
                for group in 0..<14 {
                    // Three random bytes give four characters.
                    let value = Int(bytes[group * 3]) << 16 | Int(bytes[group * 3 + 1]) << 8 | Int(bytes[group * 3 + 2])
                    for index in 0..<4 { characters[group * 4 + index] = cloudFrontAlphabet[(value >> (18 - 6 * index)) & 63] }
                }
            }
            return 56
        }
    }

    private static let generator = Mutex(SplitMix64(seed: UInt64.random(in: .min ... .max)))
    private static let hexDigits = Array("0123456789abcdef".utf8)
    private static let cloudFrontAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
}
