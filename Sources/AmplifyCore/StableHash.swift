/// FNV-1a over a string's UTF-8, the same in every run (Swift's `Hasher` is seeded per process): for names that
/// must outlive the process, such as cache files and the network namespaces of a data directory.
public enum StableHash {
    public static func of(_ text: String) -> UInt64 {
        var value: UInt64 = 14_695_981_039_346_656_037
        for byte in text.utf8 { value = (value ^ UInt64(byte)) &* 1_099_511_628_211 }
        return value
    }
}
