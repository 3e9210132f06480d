import Foundation

/// A shape that writes itself as the service's JSON: members in model order, absent ones left out.
public protocol WireJSONWritable {
    func writeJSON(to writer: inout JSONWriter)
}

extension WireJSONWritable {
    /// The value as a JSON document.
    public func jsonBytes() -> [UInt8] {
        var writer = JSONWriter()
        self.writeJSON(to: &writer)
        return writer.bytes
    }
}

/// Writes JSON straight into bytes, for response bodies: no intermediate tree, no reflection.
///
/// Timestamps are epoch seconds as numbers, as rest-json wants them.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// Whether the object being written has a member yet (one entry per open object).
    private var hasMember: [Bool] = []

    public init() {
        self.bytes.reserveCapacity(1024)
    }

    public mutating func beginObject() {
        self.bytes.append(UInt8(ascii: "{"))
        self.hasMember.append(false)
    }

    public mutating func endObject() {
        self.bytes.append(UInt8(ascii: "}"))
        self.hasMember.removeLast()
    }

    private mutating func key(_ name: StaticString) {
        if self.hasMember[self.hasMember.count - 1] {
            self.bytes.append(UInt8(ascii: ","))
        } else {
            self.hasMember[self.hasMember.count - 1] = true
        }
        self.bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { self.bytes.append(contentsOf: $0) }
        self.bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    // MARK: Members

    public mutating func member(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        self.key(name)
        self.string(value)
    }

    public mutating func member(_ name: StaticString, _ value: Bool?) {
        guard let value else { return }
        self.key(name)
        self.bytes.append(contentsOf: value ? Array("true".utf8) : Array("false".utf8))
    }

    public mutating func member(_ name: StaticString, _ value: Int?) {
        guard let value else { return }
        self.key(name)
        self.bytes.append(contentsOf: String(value).utf8)
    }

    public mutating func member(_ name: StaticString, _ value: Date?) {
        guard let value else { return }
        self.key(name)
        self.number(value.timeIntervalSince1970)
    }

    public mutating func member<Value: WireJSONWritable>(_ name: StaticString, _ value: Value?) {
        guard let value else { return }
        self.key(name)
        value.writeJSON(to: &self)
    }

    public mutating func member<Value: RawRepresentable>(_ name: StaticString, _ value: Value?) where Value.RawValue == String {
        guard let value else { return }
        self.key(name)
        self.string(value.rawValue)
    }

    public mutating func member(_ name: StaticString, _ value: [String]?) {
        guard let value else { return }
        self.key(name)
        self.array(value) { writer, item in writer.string(item) }
    }

    public mutating func member<Value: WireJSONWritable>(_ name: StaticString, _ value: [Value]?) {
        guard let value else { return }
        self.key(name)
        self.array(value) { writer, item in item.writeJSON(to: &writer) }
    }

    public mutating func member(_ name: StaticString, _ value: [String: String]?) {
        guard let value else { return }
        self.key(name)
        self.bytes.append(UInt8(ascii: "{"))
        var first = true
        for (key, item) in value.sorted(by: { $0.key < $1.key }) {
            if !first { self.bytes.append(UInt8(ascii: ",")) }
            first = false
            self.string(key)
            self.bytes.append(UInt8(ascii: ":"))
            self.string(item)
        }
        self.bytes.append(UInt8(ascii: "}"))
    }

    // MARK: Values

    private mutating func array<Item>(_ items: [Item], _ write: (inout JSONWriter, Item) -> Void) {
        self.bytes.append(UInt8(ascii: "["))
        for (index, item) in items.enumerated() {
            if index > 0 { self.bytes.append(UInt8(ascii: ",")) }
            write(&self, item)
        }
        self.bytes.append(UInt8(ascii: "]"))
    }

    private mutating func number(_ value: Double) {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
            self.bytes.append(contentsOf: String(Int64(value)).utf8)
        } else if value.isFinite {
            self.bytes.append(contentsOf: value.description.utf8)
        } else {
            self.bytes.append(contentsOf: "0".utf8)
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    private mutating func string(_ value: String) {
        self.bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20:
                self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                self.bytes.append(Self.hex[Int(byte >> 4)])
                self.bytes.append(Self.hex[Int(byte & 0x0F)])
            default: self.bytes.append(byte)
            }
        }
        self.bytes.append(UInt8(ascii: "\""))
    }
}
