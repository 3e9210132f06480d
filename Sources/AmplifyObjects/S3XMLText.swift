import Foundation

/// The text of the elements of an S3 answer in XML (a listing's `Key`s and `NextContinuationToken`, an error's `Code`
/// and `Message`), entities resolved. S3's answers are flat runs of `<Name>text</Name>` without attributes on the
/// elements read or CDATA, so this reads just that: Foundation's XMLParser (FoundationXML) would link libxml2
/// dynamically, which the release's static binary must not.
struct S3XMLText {
    private var texts: [(element: String, text: String)] = []

    init(_ bytes: [UInt8]) {
        let document = String(decoding: bytes, as: UTF8.self)
        var rest = document[...]
        while let open = rest.firstIndex(of: "<") {
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(of: ">") else { break }
            let name = rest[afterOpen..<close]
            rest = rest[rest.index(after: close)...]
            // Only an element whose text follows at once and ends with its own closing tag.
            guard let first = name.first, first.isLetter, name.allSatisfy({ $0.isLetter || $0.isNumber }),
                let end = rest.range(of: "</\(name)>"), !rest[..<end.lowerBound].contains("<")
            else { continue }
            self.texts.append((String(name), Self.unescape(rest[..<end.lowerBound])))
            rest = rest[end.upperBound...]
        }
    }

    /// The texts of every `element`, in document order.
    func values(_ element: String) -> [String] {
        self.texts.filter { $0.element == element }.map(\.text)
    }

    /// Text as it goes between an element's tags.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// XML's five named entities and numeric character references resolved.
    static func unescape(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        var result = ""
        var rest = text
        while let ampersand = rest.firstIndex(of: "&") {
            result += rest[..<ampersand]
            guard let semicolon = rest[ampersand...].firstIndex(of: ";") else { break }
            let entity = rest[rest.index(after: ampersand)..<semicolon]
            switch entity {
            case "amp": result += "&"
            case "lt": result += "<"
            case "gt": result += ">"
            case "quot": result += "\""
            case "apos": result += "'"
            default:
                let number = entity.hasPrefix("#x") ? UInt32(entity.dropFirst(2), radix: 16) : entity.hasPrefix("#") ? UInt32(entity.dropFirst()) : nil
                if let number, let scalar = Unicode.Scalar(number) { result.unicodeScalars.append(scalar) } else { result += "&\(entity);" }
            }
            rest = rest[rest.index(after: semicolon)...]
        }
        return result + rest
    }
}
