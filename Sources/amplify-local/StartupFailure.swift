import AmplifyCore
import AmplifyServer
import AmplifyStore
import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// A start that failed, said in one line that names the flag at fault and the problem.
struct StartupFailure: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }

    init(_ error: any Error, configuration: ServerConfiguration) {
        let listen = "\(configuration.host):\(configuration.port)"
        switch error {
        case let error as StartupFailure:
            self = error
        case let error as IOError where error.errnoCode == EADDRINUSE:
            self.init("--port \(configuration.port): \(listen) is already in use (another amplify-local?); pick another port, or 0 for any free one.")
        case let error as IOError where error.errnoCode == EADDRNOTAVAIL || error.errnoCode == EACCES:
            self.init("--host \(configuration.host) --port \(configuration.port): cannot listen on \(listen): \(Self.reason(error.errnoCode)).")
        case let error as PostgresStore.Unavailable:
            self.init("--database: \(error)")
        case let error as ObjectStoreUnavailable:
            self.init("--object-store \(error)")
        case let error as AmplifyError where configuration.initialState != nil:
            self.init("--init: \(error.message)")
        default:
            let flag = configuration.dataDirectory.map { "--data-dir \($0): " } ?? ""
            self.init("\(flag)\(error)")
        }
    }

    /// Creates the data directory and its parents; returns the topmost folder it created (nil when all were there),
    /// which a start that fails removes again.
    static func makeDataDirectory(_ path: String) throws -> String? {
        var made: String?
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/\(component)"
            var info = stat()
            if stat(current, &info) == 0 {
                guard (info.st_mode & S_IFMT) == S_IFDIR else {
                    throw StartupFailure("--data-dir \(path): \(current) is a file, not a folder.")
                }
                continue
            }
            guard mkdir(current, 0o755) == 0 else {
                throw StartupFailure("--data-dir \(path): cannot create \(current): \(Self.reason(errno)).")
            }
            made = made ?? current
        }
        return made
    }

    private static func reason(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
