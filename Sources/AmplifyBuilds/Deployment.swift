import AmplifyCore
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A manual deployment (CreateDeployment/StartDeployment): DEPLOY takes the uploaded zip or files, or
/// downloads the zip at `sourceUrl`, and checks them; VERIFY confirms the result.
/// Serving the deployed site is not part of amplify-local yet.
struct Deployment: Sendable {
    let progress: JobProgress
    let job: Job
    let store: any Store

    /// The largest zip a `sourceUrl` may be.
    static let maximumDownloadBytes = 100 * 1024 * 1024

    func run() async {
        await self.progress.run {
            try await self.progress.begin("DEPLOY", log: "Starting deployment \(self.job.key.jobId).")
            let files = try await self.files()
            let total = files.values.reduce(0) { $0 + $1.count }
            if let zip = files["artifacts.zip"] {
                guard Self.isZip(zip) else {
                    throw JobProgress.Interruption.failed("The deployment's artifacts.zip is not a zip archive.")
                }
                try await self.progress.log("DEPLOY", "Deploying artifacts.zip (\(zip.count) bytes).")
            } else {
                try await self.progress.log("DEPLOY", "Deploying \(files.count) files (\(total) bytes).")
            }
            try await self.progress.begin("VERIFY", log: "Deployment \(self.job.key.jobId) verified.")
            try await self.progress.succeed()
        }
    }

    /// The uploaded files, or the zip at the job's `sourceUrl` (stored with the job once downloaded).
    private func files() async throws -> [String: Data] {
        if let sourceUrl = self.job.sourceUrl {
            let zip = try await Self.download(sourceUrl, type: self.job.sourceUrlType)
            try await self.store.putDeploymentFile(self.job.key, name: "artifacts.zip", content: zip, whileIn: [.running])
            return ["artifacts.zip": zip]
        }
        let files = try await self.store.deploymentFiles(self.job.key)
        guard !files.isEmpty else {
            throw JobProgress.Interruption.failed(
                "Nothing was uploaded for this deployment: PUT the zip to its zipUploadUrl, or each file to its fileUploadUrls entry, before StartDeployment."
            )
        }
        return files
    }

    private static func download(_ source: String, type: String?) async throws -> Data {
        guard type != "BUCKET_PREFIX", let url = URL(string: source), url.scheme == "http" || url.scheme == "https" else {
            throw JobProgress.Interruption.failed(
                "amplify-local cannot read \(source): it deploys zips from http(s) URLs; upload S3 content with CreateDeployment instead."
            )
        }
        var request = URLRequest(url: url)
        request.timeoutInterval = 30
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw JobProgress.Interruption.failed("Downloading \(source) failed: \(error.localizedDescription)")
        }
        if let status = (response as? HTTPURLResponse)?.statusCode, !(200..<300).contains(status) {
            throw JobProgress.Interruption.failed("Downloading \(source) failed: HTTP \(status).")
        }
        guard data.count <= maximumDownloadBytes else {
            throw JobProgress.Interruption.failed("\(source) is larger than \(maximumDownloadBytes) bytes.")
        }
        return data
    }

    /// A zip starts with a local file header, or is an empty archive's end record.
    static func isZip(_ data: Data) -> Bool {
        data.starts(with: [0x50, 0x4B, 0x03, 0x04]) || data.starts(with: [0x50, 0x4B, 0x05, 0x06])
    }
}
