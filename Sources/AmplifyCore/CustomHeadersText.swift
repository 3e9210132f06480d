/// What an app's `customHeaders` (and a repository's `customHttp.yml`) may be written as, beyond its length: YAML
/// without anchors. An anchor and its aliases let 450 bytes stand for hundreds of millions of values ("billion
/// laughs": `a: &a [x,x,…]`, `b: &b [*a,*a,…]`, …), which a YAML loader expands in full, and which its composer
/// hashes in full as a mapping's key; no alias can be used without an anchor, so none is the whole guard.
///
/// The check reads the text, not the YAML (reading the YAML is what costs): an `&` where a YAML node may start
/// (at the start, or after a space, a line break or one of `[{,:?-`) and followed by a name is taken for an anchor.
/// It is found wherever YAML has one, and the rare value with ` &word` in it is refused too (quote marks are not
/// followed: that would take parsing YAML).
public enum CustomHeadersText {
    /// Why `yaml` cannot be used as custom headers, nil when it can. `field` names it in the message.
    public static func problem(_ yaml: String, field: String = "customHeaders") -> String? {
        guard let (line, column, name) = Self.firstAnchor(yaml) else { return nil }
        return "\(field) has a YAML anchor (&\(name), line \(line), column \(column)): anchors and aliases are not accepted in custom "
            + "headers, because a few of them can expand a short text into a huge one. Write each header out."
    }

    /// The line and column (from 1) and the name of the first anchor in `yaml`, nil when it has none.
    static func firstAnchor(_ yaml: String) -> (line: Int, column: Int, name: String)? {
        let bytes = Array(yaml.utf8)
        var line = 1
        var lineStart = 0
        for (index, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: "\n") {
                line += 1
                lineStart = index + 1
                continue
            }
            guard byte == UInt8(ascii: "&"), index + 1 < bytes.count, Self.isNameByte(bytes[index + 1]) else { continue }
            guard index == 0 || Self.mayPrecedeANode(bytes[index - 1]) else { continue }
            let name = bytes[(index + 1)...].prefix { Self.isNameByte($0) }.prefix(40)
            return (line, index - lineStart + 1, String(decoding: name, as: UTF8.self))
        }
        return nil
    }

    /// Bytes after which YAML may start a node (and so an anchor): separation (spaces, line breaks, and the last
    /// byte of any non-ASCII character, which covers the byte order mark and YAML 1.1's other line breaks) and the
    /// indicators a node follows.
    private static func mayPrecedeANode(_ byte: UInt8) -> Bool {
        byte >= 0x80 || " \t\r\n[{,:?-".utf8.contains(byte)
    }

    /// An anchor's name: any printable character but spaces and the flow indicators.
    private static func isNameByte(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte != 0x7F && !",[]{}".utf8.contains(byte)
    }
}
