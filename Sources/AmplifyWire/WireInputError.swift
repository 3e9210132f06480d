/// A request that cannot be read as its operation's input (malformed JSON, a wrong type, a bad query value).
public struct WireInputError: Error, Sendable, Equatable {
    /// A sentence for the client, naming the member at fault.
    public var message: String

    public init(_ message: String) {
        self.message = message
    }
}
