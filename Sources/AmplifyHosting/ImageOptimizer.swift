import AmplifyCore
import AmplifyProcess
import Foundation

/// The Next.js image optimizer's work, done by libvips' `vipsthumbnail` (Debian: libvips-tools): an image of the
/// deployment's `static/` made at most `w` pixels wide (never wider than it is), at quality `q`, as AVIF or WebP
/// when the client accepts them and `imageSettings.formats` lists them, else in its own format. Each result is
/// made once and kept in the deployment's `.image-cache/` (gone with the deployment).
public struct ImageOptimizer: Sendable {
    /// `vipsthumbnail`, nil when libvips' tools are not installed.
    let vipsthumbnail: String?
    let launcher: any ProcessLauncher

    /// The optimizer with `vipsthumbnail` of `path` (the server's PATH), run by `launcher`.
    public init(path: String?, launcher: any ProcessLauncher) {
        self.vipsthumbnail = SearchPath.find("vipsthumbnail", in: path)
        self.launcher = launcher
    }

    /// The formats made, by file extension: what an original of each extension becomes when no better one is taken.
    private static let resizable: [String: String] = ["jpg": "jpg", "jpeg": "jpg", "png": "png", "webp": "webp", "avif": "avif", "tif": "png", "tiff": "png"]

    /// The extension of the image made for an original with `fileExtension`, for a client that accepts `accept`
    /// (nil: the original cannot be resized, as SVG and animated GIF are served as they are by Next.js too).
    static func format(of fileExtension: String, accept: String?, formats: [String]?) -> String? {
        guard let own = self.resizable[fileExtension.lowercased()] else { return nil }
        let accept = accept ?? ""
        for (type, made) in [("image/avif", "avif"), ("image/webp", "webp")] where accept.contains(type) && (formats ?? ["image/webp"]).contains(type) {
            return made
        }
        return own
    }

    /// The resized image's file name in `cacheFolder`, made from `source` unless it is there already. Throws what
    /// `vipsthumbnail` said when it failed.
    func resized(source: String, width: Int, quality: Int, format: String, cacheFolder: String) async throws -> String {
        let name = "\(String(StableHash.of(source), radix: 36))-\(width)-\(quality).\(format)"
        let target = cacheFolder + "/" + name
        if FileManager.default.fileExists(atPath: target) { return name }
        guard let vipsthumbnail = self.vipsthumbnail else { throw Failure(message: "vipsthumbnail is not installed") }
        try FileManager.default.createDirectory(atPath: cacheFolder, withIntermediateDirectories: true)
        let partial = cacheFolder + "/.\(UUID().uuidString).\(format)"
        let options = format == "png" ? "" : "[Q=\(quality),strip]"
        let result = try await self.launcher.capture(
            ProcessCommand(vipsthumbnail, [source, "--size", "\(width)x>", "-o", partial + options]), timeout: .seconds(60), limit: 64 << 10
        )
        guard result.outcome.succeeded else {
            try? FileManager.default.removeItem(atPath: partial)
            throw Failure(message: result.error.split(separator: "\n").first.map(String.init) ?? "\(result.outcome)")
        }
        _ = rename(partial, target)
        return name
    }

    struct Failure: Error, CustomStringConvertible {
        var message: String
        var description: String { self.message }
    }
}
