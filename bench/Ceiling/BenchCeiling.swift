import Foundation
import Hummingbird
import NIOCore

/// The benchmark's ceiling: a bare Hummingbird route that answers every GET with a fixed JSON body,
/// so the numbers of amplify-local can be read against what the HTTP stack alone can do.
@main
struct BenchCeiling {
    static func main() async throws {
        let arguments = CommandLine.arguments
        func value(_ flag: String, _ fallback: Int) -> Int {
            guard let index = arguments.firstIndex(of: flag), index + 1 < arguments.count else { return fallback }
            return Int(arguments[index + 1]) ?? fallback
        }
        let port = value("--port", 4570)
        let size = value("--body-bytes", 1024)
        let body = ByteBuffer(string: "{\"padding\":\"" + String(repeating: "x", count: max(0, size - 14)) + "\"}")
        let router = Router()
        router.get("**") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "ceiling"),
            onServerRunning: { channel in
                FileHandle.standardOutput.write(Data("ceiling listening on http://127.0.0.1:\(channel.localAddress?.port ?? port)\n".utf8))
            }
        )
        try await app.runService()
    }
}
