import AmplifyCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A manual deployment (CreateDeployment/StartDeployment). DEPLOY unpacks the uploaded zip, places the
/// uploaded files, or takes the `sourceUrl` (a `file://` zip or folder, an `http(s)://` zip) into the
/// job's site folder, and makes it the branch's live site; VERIFY checks it.
struct Deployment: Sendable {
    let progress: JobProgress
    let job: Job
    let files: SiteFiles
    /// The most the zip may unpack to.
    let maxBytes: Int64
    /// The folders a `file://` sourceUrl may name (`--deploy-from`).
    let sources: SourceFolders
    /// Starts an SSR deployment's compute (`BuildRunner.Configuration.startCompute`).
    let startCompute: @Sendable (ComputeDeployment) async throws -> String

    /// The largest zip a `sourceUrl` download may be.
    static let maximumDownloadBytes = 1024 * 1024 * 1024

    /// Returns whether the job was deleted while it ran.
    func run() async -> Bool {
        let site = self.files.site(self.job.key)
        let staging = site.deletingLastPathComponent().appending(path: ".\(self.job.key.jobId)-\(UUID().uuidString.lowercased())")
        return await self.progress.run(cleanup: { SiteFiles.remove(staging) }) {
            try await self.progress.begin("DEPLOY", log: "Starting deployment \(self.job.key.jobId).")
            let key = self.job.key
            let app = try await self.progress.store.app(key.scope, appId: key.appId)
            do {
                try await self.files.fetchUploads(key)
            } catch {
                throw JobProgress.Interruption.failed("The deployment's uploads could not be fetched from the object store: \(error)")
            }
            let (count, bytes) = try await self.unpack(into: staging, keepingLinks: app.platform != .web)
            try await self.applyCustomHttp(in: staging, app: app)
            if app.platform != .web, let bundle = ComputeBundle.find(in: staging) {
                let name = bundle.lastPathComponent == ".amplify-hosting" ? "the upload's .amplify-hosting" : "the upload"
                try await ComputeBundle.deploy(bundle, named: name, to: site, progress: self.progress, startCompute: self.startCompute)
                await self.files.removeUploads(key)
                return
            }
            SiteFiles.remove(site)
            try FileManager.default.moveItem(at: staging, to: site)
            await self.files.removeUploads(self.job.key)
            try await self.progress.publish("Deployed \(count) files (\(bytes) bytes).")
            try await self.progress.verify(site)
        }
    }

    /// A `customHttp.yml` at the deployment's root gives its headers, read by the rules of a build's (as on AWS, which
    /// logs "Found customHttp.yml, applying custom headers..."); it stays one of the site's files.
    private func applyCustomHttp(in folder: URL, app: App) async throws {
        guard FileManager.default.fileExists(atPath: folder.appending(path: CustomHttpFile.name).path) else { return }
        let key = self.job.key
        let branch = try? await self.progress.store.branch(key.scope, appId: key.appId, branchName: key.branchName)
        let file: CustomHttpFile?
        do {
            file = try CustomHttpFile.read(repository: folder, appRoot: ".", monorepoAppRoot: MonorepoAppRoot.of(app: app, branch: branch))
        } catch {
            let lines = error.lines.isEmpty ? ["!!! \(error.message)"] : error.lines
            try await self.progress.write("DEPLOY", text: lines.map { "\(self.progress.stamp()) [ERROR]: \($0)\n" }.joined())
            throw JobProgress.Interruption.failed(error.message)
        }
        guard let headers = file?.customHeaders else {
            try await self.progress.log("DEPLOY", CustomHttpFile.notAListLine)
            return
        }
        try await self.progress.log("DEPLOY", "Found customHttp.yml, applying custom headers...")
        for name in file?.unservable ?? [] {
            try await self.progress.write(
                "DEPLOY",
                text: "\(self.progress.stamp()) [WARNING]: Custom header \(name) in customHttp.yml has a line break in its value: it deploys, and the paths it matches answer 502 (as on AWS).\n"
            )
        }
        let target = self.files.deploymentHeaders(key)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try headers.write(to: target, atomically: true, encoding: .utf8)
    }

    /// Puts the deployment's files into `folder`; returns how many and their size.
    /// With `keepingLinks` (an SSR app's deployment), a zip's symbolic links that stay inside it are kept.
    private func unpack(into folder: URL, keepingLinks: Bool) async throws -> (Int, Int64) {
        if let sourceUrl = self.job.sourceUrl {
            return try await self.fromSource(sourceUrl, into: folder, keepingLinks: keepingLinks)
        }
        let zip = self.files.zipUpload(self.job.key)
        if FileManager.default.fileExists(atPath: zip.path) {
            try await self.progress.log("DEPLOY", "Unpacking the uploaded artifacts.zip.")
            return try self.extract(zip, into: folder, keepingLinks: keepingLinks)
        }
        let uploads = self.files.fileUploads(self.job.key)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: uploads.path)) ?? []
        guard !names.isEmpty else {
            throw JobProgress.Interruption.failed(
                "Nothing was uploaded for this deployment: PUT the zip to its zipUploadUrl, or each file to its fileUploadUrls entry, before StartDeployment."
            )
        }
        var bytes: Int64 = 0
        for segment in names {
            guard let name = SiteFiles.uploadName(segment), let path = SiteFiles.safeRelativePath(name) else {
                throw JobProgress.Interruption.failed("The uploaded file \(segment) has a name outside the site folder.")
            }
            let target = folder.appending(path: path)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.moveItem(at: uploads.appending(path: segment), to: target)
            bytes += (try? FileManager.default.attributesOfItem(atPath: target.path)[.size] as? Int64) ?? 0
        }
        return (names.count, bytes)
    }

    private func fromSource(_ source: String, into folder: URL, keepingLinks: Bool) async throws -> (Int, Int64) {
        guard let url = URL(string: source), let scheme = url.scheme?.lowercased() else {
            throw JobProgress.Interruption.failed("The sourceUrl \(source) is not a URL.")
        }
        switch scheme {
        case "file":
            // Checked again here, not only by StartDeployment: the job may come from a state document or an earlier
            // run of the server, and a link may have changed since. What is read is the resolved path.
            let path: String
            switch self.sources.check(RepositoryLocation.localPath(source) ?? url.path, as: "The sourceUrl \(source)", holdingAllowed: false) {
            case .allowed(let resolved): path = resolved
            case .refused(let reason): throw JobProgress.Interruption.failed(reason)
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw JobProgress.Interruption.failed("\(source) does not exist on this machine.")
            }
            if isDirectory.boolValue {
                try await self.progress.log("DEPLOY", "Copying the folder \(path).")
                let base = URL(fileURLWithPath: path, isDirectory: true)
                let collected = try ArtifactCollector(base: base, baseName: path, patterns: [FileGlob("**/*")], discardPaths: false, copy: true)
                    .collect(into: folder)
                for note in collected.notes { try await self.progress.log("DEPLOY", note) }
                return (collected.files, collected.bytes)
            }
            guard self.job.sourceUrlType != .bucketPrefix else {
                throw JobProgress.Interruption.failed("\(source) is a file; a BUCKET_PREFIX sourceUrl names a folder.")
            }
            try await self.progress.log("DEPLOY", "Unpacking \(path).")
            return try self.extract(URL(fileURLWithPath: path), into: folder, keepingLinks: keepingLinks)
        case "http", "https":
            guard self.job.sourceUrlType != .bucketPrefix else {
                throw JobProgress.Interruption.failed("A BUCKET_PREFIX sourceUrl must be a file:// folder here; \(source) is not.")
            }
            try await self.progress.log("DEPLOY", "Downloading \(source).")
            let zip = folder.deletingLastPathComponent().appending(path: "\(folder.lastPathComponent).zip")
            defer { SiteFiles.remove(zip) }
            try await Self.download(url, to: zip)
            return try self.extract(zip, into: folder, keepingLinks: keepingLinks)
        default:
            throw JobProgress.Interruption.failed(
                "amplify-local cannot read \(source): it deploys file:// and http(s):// sources; upload S3 content with CreateDeployment instead."
            )
        }
    }

    private func extract(_ zip: URL, into folder: URL, keepingLinks: Bool) throws -> (Int, Int64) {
        do {
            let result = try SiteArchive.extract(zip, into: folder, maxBytes: self.maxBytes, keepingLinksInside: keepingLinks)
            return (result.files, result.bytes)
        } catch {
            throw JobProgress.Interruption.failed(error.message)
        }
    }

    /// Streams `url` to `file` with AsyncHTTPClient (no FoundationNetworking, so no libcurl in the binary), at most
    /// `maximumDownloadBytes`, following redirects.
    private static func download(_ url: URL, to file: URL) async throws {
        let request = HTTPClientRequest(url: url.absoluteString)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: file.path, contents: nil), let handle = FileHandle(forWritingAtPath: file.path) else {
            throw JobProgress.Interruption.failed("Could not write the download of \(url) to \(file.path).")
        }
        defer { try? handle.close() }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        } catch {
            throw JobProgress.Interruption.failed("Downloading \(url) failed: \(error).")
        }
        guard (200..<300).contains(response.status.code) else {
            throw JobProgress.Interruption.failed("Downloading \(url) failed: HTTP \(response.status.code).")
        }
        let tooLarge = JobProgress.Interruption.failed("\(url) is larger than \(Self.maximumDownloadBytes) bytes.")
        if let length = response.headers.first(name: "content-length").flatMap(Int.init), length > Self.maximumDownloadBytes {
            throw tooLarge
        }
        var total = 0
        do {
            for try await buffer in response.body {
                total += buffer.readableBytes
                guard total <= Self.maximumDownloadBytes else { throw tooLarge }
                try handle.write(contentsOf: Data(buffer.readableBytesView))
            }
        } catch let error as JobProgress.Interruption {
            throw error
        } catch {
            throw JobProgress.Interruption.failed("Downloading \(url) failed: \(error).")
        }
    }
}
