import Foundation

/// One page of a list, with the opaque token of the next page when there is one.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextToken: String?

    public init(items: [Item], nextToken: String?) {
        self.items = items
        self.nextToken = nextToken
    }

    /// A page from what a store fetched with one row more than `limit` (so it knows whether more follow), each item
    /// with its position in the list's order; the next page resumes after the last item's position.
    public init(fetched: [(Int64, Item)], limit: Int, list: PageToken.List) {
        self.items = fetched.prefix(limit).map(\.1)
        self.nextToken = fetched.count > limit ? PageToken(list: list, position: fetched[limit - 1].0).encoded : nil
    }
}

/// Where a list resumes: a position in a keyed order, opaque to clients.
///
/// Tokens name the list they belong to, so one list's token is refused by another.
public struct PageToken: Sendable, Equatable {
    /// The lists that page, by the name their tokens carry.
    public enum List: String, Sendable {
        case apps, branches, jobs, webhooks, domains, artifacts
        case backendEnvironments = "backendenvironments"
    }

    public var list: List
    public var position: Int64

    public init(list: List, position: Int64) {
        self.list = list
        self.position = position
    }

    public var encoded: String {
        Base64URL.encode(Array("\(self.list.rawValue):\(self.position)".utf8))
    }

    /// Reads a token a client sent back; a token that is not one of ours is BadRequestException.
    public init(decoding token: String, list: List) throws(AmplifyError) {
        guard
            let bytes = Base64URL.decode(token),
            let text = String(bytes: bytes, encoding: .utf8),
            let colon = text.lastIndex(of: ":"),
            text[..<colon] == list.rawValue,
            let position = Int64(text[text.index(after: colon)...])
        else {
            throw .badRequest("Invalid nextToken.")
        }
        self.list = list
        self.position = position
    }
}
