/// One page of a list, with the opaque token of the next page when there is one.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextToken: String?

    public init(items: [Item], nextToken: String?) {
        self.items = items
        self.nextToken = nextToken
    }
}

/// Where a list resumes: a position in a keyed order, opaque to clients.
///
/// Tokens name the list they belong to, so one list's token is refused by another.
public struct PageToken: Sendable, Equatable {
    public var list: String
    public var position: Int64

    public init(list: String, position: Int64) {
        self.list = list
        self.position = position
    }

    public var encoded: String {
        Base64URL.encode(Array("\(self.list):\(self.position)".utf8))
    }

    /// Reads a token a client sent back; a token that is not one of ours is BadRequestException.
    public init(decoding token: String, list: String) throws(AmplifyError) {
        guard
            let bytes = Base64URL.decode(token),
            let text = String(bytes: bytes, encoding: .utf8),
            let colon = text.lastIndex(of: ":"),
            text[..<colon] == list,
            let position = Int64(text[text.index(after: colon)...])
        else {
            throw .badRequest("Invalid nextToken.")
        }
        self.list = list
        self.position = position
    }
}
