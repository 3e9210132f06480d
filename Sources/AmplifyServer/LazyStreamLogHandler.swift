import Logging

/// swift-log's `StreamLogHandler` on standard error, with its metadata formatted when a line is logged instead of each
/// time the metadata changes. Hummingbird puts a request id on every request's logger, and `StreamLogHandler` formats
/// all of its metadata at every change: ~4% of a small site file's request (measured), for lines that are mostly never
/// written. The lines it writes are `StreamLogHandler`'s own.
public struct LazyStreamLogHandler: LogHandler {
    private let label: String
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var handler = StreamLogHandler.standardError(label: self.label, metadataProvider: self.metadataProvider)
        handler.logLevel = self.logLevel
        handler.metadata = self.metadata
        handler.log(event: event)
    }
}
