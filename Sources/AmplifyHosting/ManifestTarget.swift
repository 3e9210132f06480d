import AmplifyCore
import Foundation
import HTTPTypes
import Hummingbird

/// A request to an SSR deployment, answered by the manifest's first matching route: `Static` from `static/` (with
/// the route's `Cache-Control`; its `fallback` when there is no such file), `ImageOptimization` (the Next.js image
/// contract: `url`, `w`, `q`), `Compute` through the compute gateway.
struct ManifestTarget {
    let request: Request
    /// The path after the app's rules (a rewrite's target), with its query if it has one.
    let path: String
    let folder: String
    let manifest: DeployManifest
    let live: JobKey
    let host: String
    let clientAddress: String?
    let compute: (any ComputeGateway)?
    let images: ImageOptimizer?

    /// `serve` answers a path from a folder of files (the site's static file serving).
    func respond(serve: (String, String) async -> Response) async -> Response {
        let pathOnly = String(self.path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "/")
        guard let route = self.manifest.route(for: pathOnly) else { return SitePage.response(.notFound, "Not found.") }
        return await self.answer(route.target, fallback: route.fallback, serve: serve)
    }

    private func answer(_ target: DeployManifest.Target, fallback: DeployManifest.Target?, serve: (String, String) async -> Response) async -> Response {
        switch target.kind {
        case .staticFiles:
            guard self.request.method == .get || self.request.method == .head else {
                if let fallback { return await self.answer(fallback, fallback: nil, serve: serve) }
                return SitePage.response(.methodNotAllowed, "Static files answer GET and HEAD only.", headers: [.allow: "GET, HEAD"])
            }
            var response = await serve(self.path, self.folder + "/static")
            if response.status == .notFound, let fallback { return await self.answer(fallback, fallback: nil, serve: serve) }
            if response.status == .ok || response.status == .partialContent, let cacheControl = target.cacheControl {
                response.headers[.cacheControl] = cacheControl
            }
            return response
        case .imageOptimization:
            return await self.image(target, serve: serve)
        case .compute:
            guard let compute = self.compute, let resource = self.manifest.computeResources.first(where: { $0.name == target.src }) else {
                return SitePage.response(.serviceUnavailable, "This deployment's compute is not available.", headers: [.retryAfter: "5"])
            }
            var head = self.request.head
            if !self.path.contains("?"), let query = self.request.uri.query { head.path = self.path + "?" + query } else { head.path = self.path }
            return await compute.respond(
                to: Request(head: head, body: self.request.body), host: self.host, clientAddress: self.clientAddress,
                deployment: ComputeDeployment(key: self.live, folder: self.folder, resource: resource)
            )
        }
    }

    /// The Next.js image optimizer's contract: `url` (a path of the site), `w` (one of `imageSettings.sizes` when the
    /// manifest lists them), `q` (1 to 100). The image is resized with libvips (`ImageOptimizer`) where its tools are
    /// installed; elsewhere, and for images it does not resize (SVG, GIF), the original is served, marked so.
    private func image(_ target: DeployManifest.Target, serve: (String, String) async -> Response) async -> Response {
        let query = self.request.uri.queryParameters
        guard let url = query["url"].map(String.init)?.removingPercentEncoding, url.hasPrefix("/"), !url.hasPrefix("//") else {
            return SitePage.response(.badRequest, "\"url\" parameter is required and must be a path of this site (remote images are not fetched here).")
        }
        guard let width = query["w"].flatMap({ Int(String($0)) }), width > 0 else {
            return SitePage.response(.badRequest, "\"w\" parameter (width) is required and must be a positive number.")
        }
        if let sizes = self.manifest.imageSettings?.sizes, !sizes.isEmpty, !sizes.contains(width) {
            return SitePage.response(.badRequest, "\"w\" parameter (width) of \(width) is not allowed (imageSettings.sizes: \(sizes.map(String.init).joined(separator: ", "))).")
        }
        guard let quality = query["q"].flatMap({ Int(String($0)) }), (1...100).contains(quality) else {
            return SitePage.response(.badRequest, "\"q\" parameter (quality) is required and must be a number from 1 to 100.")
        }
        let path = String(url.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0])
        let staticFolder = self.folder + "/static"
        var response: Response
        var note = "unoptimized (the original, at any width: libvips' vipsthumbnail is not installed)"
        let source = staticFolder + path
        let safe = !path.split(separator: "/").contains { $0 == ".." || $0 == "." } && FileManager.default.fileExists(atPath: source)
        if safe, let images = self.images, images.vipsthumbnail != nil,
            let format = ImageOptimizer.format(
                of: (path as NSString).pathExtension, accept: self.request.headers[.accept], formats: self.manifest.imageSettings?.formats
            )
        {
            let cache = self.folder + "/.image-cache"
            do {
                let name = try await images.resized(source: source, width: width, quality: quality, format: format, cacheFolder: cache)
                response = await serve("/" + name, cache)
                note = "resized with libvips: at most \(width) px wide, quality \(quality), \(format)"
            } catch {
                response = await serve(url, staticFolder)
                note = "unoptimized (the original: libvips could not resize it: \(error))"
            }
        } else {
            if self.images?.vipsthumbnail != nil { note = "unoptimized (the original: this format is served as it is)" }
            response = await serve(url, staticFolder)
        }
        if response.status == .ok {
            response.headers[.cacheControl] = target.cacheControl ?? "public, max-age=\(self.manifest.imageSettings?.minimumCacheTTL ?? 60)"
            response.headers[.vary] = "Accept"
            response.headers[HTTPField.Name("X-Amplify-Local-Image")!] = note
        }
        return response
    }
}
