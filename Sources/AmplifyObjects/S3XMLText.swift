import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// The text of the elements of an S3 answer in XML (a listing's `Key`s and `NextContinuationToken`, an error's `Code`
/// and `Message`), entities resolved; empty for a body that is not XML.
struct S3XMLText {
    private var texts: [(element: String, text: String)] = []

    init(_ bytes: [UInt8]) {
        let collector = Collector()
        let parser = XMLParser(data: Data(bytes))
        parser.delegate = collector
        if parser.parse() { self.texts = collector.texts }
    }

    /// The texts of every `element`, in document order.
    func values(_ element: String) -> [String] {
        self.texts.filter { $0.element == element }.map(\.text)
    }

    private final class Collector: NSObject, XMLParserDelegate {
        var texts: [(element: String, text: String)] = []
        private var text = ""

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
            self.text = ""
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            self.text += string
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            self.texts.append((name, self.text))
            self.text = ""
        }
    }
}
