/// The name a `Host` header gives, as bytes: lowercased, without its port (`:` and digits after the last colon, unless
/// the name is an IPv6 address in brackets) and without a final dot. Read byte by byte: every request asks.
enum HostName {
    static func bytes(_ hostHeader: String) -> [UInt8] {
        var name = hostHeader.utf8.contains(where: { $0 >= 0x80 }) ? Array(hostHeader.lowercased().utf8) : Array(hostHeader.utf8)
        for index in name.indices where name[index] >= UInt8(ascii: "A") && name[index] <= UInt8(ascii: "Z") { name[index] |= 0x20 }
        if !name.contains(UInt8(ascii: "]")), let colon = name.lastIndex(of: UInt8(ascii: ":")), name[(colon + 1)...].allSatisfy(isDigit) {
            name.removeSubrange(colon...)
        }
        if name.last == UInt8(ascii: ".") { name.removeLast() }
        return name
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
