import AmplifyCore
import Foundation

/// An SSR build's output in Amplify's deployment specification (`deploy-manifest.json`, `static/`, `compute/<name>/`),
/// taken whole as the job's deployment: the manifest checked, symbolic links that stay inside the output kept (pnpm's
/// `node_modules`, Next.js standalone output), links that point outside refused with their path, at most 220 MiB.
struct ComputeBundle: Sendable {
    /// AWS's limit on a compute app's build output (220 MiB: the number its message gives).
    static let maxBytes: Int64 = 230_686_720

    /// Why the output cannot be deployed.
    struct Refused: Error {
        var message: String
    }

    let root: URL
    let manifest: DeployManifest

    /// The folder holding `deploy-manifest.json`: `base/.amplify-hosting`, else `base`; nil when neither has one.
    /// A `.amplify-hosting` that is a link out of `base` is not taken: the bundle is moved whole into the site.
    static func find(in base: URL) -> URL? {
        let root = base.standardizedFileURL.resolvingSymlinksInPath().path
        let inner = ContainedPath.resolve(".amplify-hosting", link: ContainedPath.links(under: root))
            .map { URL(fileURLWithPath: ([root] + $0).joined(separator: "/"), isDirectory: true) }
        return [inner, URL(fileURLWithPath: root, isDirectory: true)].compactMap { $0 }.first {
            FileManager.default.fileExists(atPath: $0.appending(path: DeployManifest.fileName).path)
        }
    }

    /// Reads and checks the bundle at `root`.
    init(root: URL) throws(Refused) {
        self.root = root
        guard let data = FileManager.default.contents(atPath: root.appending(path: DeployManifest.fileName).path) else {
            throw Refused(message: "The build output has no \(DeployManifest.fileName).")
        }
        do {
            self.manifest = try DeployManifest(json: data)
        } catch {
            throw Refused(message: error.description)
        }
        for resource in self.manifest.computeResources {
            let entrypoint = root.appending(path: "compute/\(resource.name)/\(resource.entrypoint)")
            guard FileManager.default.fileExists(atPath: entrypoint.path) else {
                throw Refused(
                    message: DeployManifest.Invalid(problem: "The entrypoint compute/\(resource.name)/\(resource.entrypoint) of computeResources is not in the build output.").description
                )
            }
        }
    }

    /// Checks every file and link, then moves the bundle to `site` (replacing what is there); returns files and bytes.
    func move(to site: URL) throws(Refused) -> (files: Int, bytes: Int64) {
        let manager = FileManager.default
        let rootPath = self.root.standardizedFileURL.resolvingSymlinksInPath().path
        var files = 0
        var bytes: Int64 = 0
        // Each link resolved as the kernel will resolve it once deployed, through the other links (`b -> .` then
        // `up -> b/b/../..` leaves the folder, though its spelling stays inside).
        let links = ContainedPath.links(under: rootPath)
        for (relative, attributes) in Self.walk(rootPath) {
            guard let type = attributes[.type] as? FileAttributeType else { continue }
            if type == .typeSymbolicLink {
                guard let target = links(relative) else { continue }
                guard ContainedPath.target(ofLinkAt: relative, target, link: links) != nil else {
                    throw Refused(message: "The build output's symbolic link \(relative) points outside it (to \(target)); links must stay inside the output.")
                }
            } else if type == .typeRegular {
                files += 1
                bytes += (attributes[.size] as? NSNumber)?.int64Value ?? 0
            }
        }
        guard bytes <= Self.maxBytes else {
            // AWS's words, its missing spaces included, so that what matches its message matches this one.
            throw Refused(
                message: "The size of the build output (\(bytes)) exceeds the max allowed size of\(Self.maxBytes) bytes. Please reduce the size ofyour build output and try again."
            )
        }
        do {
            try? manager.removeItem(at: site)
            try manager.createDirectory(at: site.deletingLastPathComponent(), withIntermediateDirectories: true)
            try manager.moveItem(atPath: rootPath, toPath: site.path)
            // The compute runs as a user of its own: it reads the deployment (which it may not write).
            for (relative, attributes) in Self.walk(site.path) {
                let path = site.path + "/" + relative
                guard let type = attributes[.type] as? FileAttributeType,
                    type != .typeSymbolicLink, let mode = (attributes[.posixPermissions] as? NSNumber)?.uint16Value
                else { continue }
                chmod(path, mode_t(mode | (type == .typeDirectory ? 0o555 : 0o444)))
            }
            chmod(site.path, 0o755)
        } catch {
            throw Refused(message: "The build output could not be deployed: \(error.localizedDescription)")
        }
        return (files, bytes)
    }

    /// Every file, folder and link under `root` (relative paths), without following a link into a folder.
    static func walk(_ root: String) -> [(String, [FileAttributeKey: Any])] {
        var found: [(String, [FileAttributeKey: Any])] = []
        var folders = [""]
        while let folder = folders.popLast() {
            let path = folder.isEmpty ? root : root + "/" + folder
            for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
                let relative = folder.isEmpty ? name : folder + "/" + name
                guard let attributes = try? FileManager.default.attributesOfItem(atPath: root + "/" + relative) else { continue }
                found.append((relative, attributes))
                if attributes[.type] as? FileAttributeType == .typeDirectory { folders.append(relative) }
            }
        }
        return found
    }

    /// DEPLOY of an SSR deployment (a build's output, or a manual deployment's files) found at `root` (`name` for the
    /// log): checked and moved whole into the job's `site`; the branch's `framework` filled when empty (with
    /// `framework`, else the manifest's); its compute started and answering before the branch switches to it; VERIFY
    /// lists the routes. `generated` says where a manifest amplify-local wrote came from (the log's first line).
    static func deploy(
        _ root: URL, named name: String, to site: URL, progress: JobProgress, framework: String? = nil, generated: String? = nil,
        startCompute: @Sendable (ComputeDeployment) async throws -> String
    ) async throws {
        let moved: (files: Int, bytes: Int64)
        let manifest: DeployManifest
        do {
            let bundle = try ComputeBundle(root: root)
            manifest = bundle.manifest
            moved = try bundle.move(to: site)
        } catch {
            try await progress.log("DEPLOY", "[ERROR]: \(error.message)")
            throw JobProgress.Interruption.failed(error.message)
        }
        let summary = "\(manifest.frameworkName) \(manifest.frameworkVersion), \(manifest.routes.count) routes, \(moved.files) files (\(moved.bytes) bytes)"
        if let generated {
            try await progress.log("DEPLOY", "# Generated deploy-manifest.json from \(generated): \(summary); written to the deployment's deploy-manifest.json")
            try await progress.log("DEPLOY", "# Routes: \(Self.describe(manifest.routes)).")
        } else {
            try await progress.log("DEPLOY", "# Found \(name)/deploy-manifest.json: \(summary)")
        }
        let key = progress.job
        let branchFramework = framework ?? manifest.frameworkName
        _ = try? await progress.store.updateBranch(key.scope, appId: key.appId, branchName: key.branchName) { branch in
            if branch.framework?.isEmpty ?? true { branch.framework = branchFramework }
        }
        for resource in manifest.computeResources {
            try await progress.log(
                "DEPLOY", "# Starting compute \(resource.name): node \(resource.entrypoint) (the manifest asks for \(resource.runtime); this machine's node runs it)."
            )
            try await progress.log(
                "DEPLOY",
                "[WARNING]: The compute gets PORT, HOSTNAME, NODE_ENV=production, AWS_REGION, AWS_APP_ID, AWS_BRANCH and AWS_AMPLIFY_DEPLOYMENT_ID, not the app's or branch's environment variables (as on AWS): write the ones it needs into .env.production at build time."
            )
            let endpoint: String
            do {
                endpoint = try await startCompute(ComputeDeployment(key: key, folder: site.path, resource: resource))
            } catch {
                let reason = "The compute did not start: \(error)"
                try await progress.log("DEPLOY", "[ERROR]: \(reason)")
                throw JobProgress.Interruption.failed(reason)
            }
            try await progress.log(
                "DEPLOY", "The compute answers on \(endpoint). Its output: GET /_amplify-local/computes/\(SiteFiles.segment(key.appId))/\(SiteFiles.segment(key.branchName))/output"
            )
        }
        try await progress.publish("# Deploying the build output as the branch's site...")
        try await progress.begin("VERIFY", log: "Routes: \(Self.describe(manifest.routes)).")
    }

    /// Routes in words: `/_next/static/* → Static (public, max-age=31536000, immutable), /*.* → Static, else Compute default, /* → Compute default`.
    static func describe(_ routes: [DeployManifest.Route]) -> String {
        func target(_ target: DeployManifest.Target) -> String {
            target.kind.rawValue + (target.src.map { " \($0)" } ?? "") + (target.cacheControl.map { " (\($0))" } ?? "")
        }
        return routes.map { route in
            "\(route.path) → \(target(route.target))" + (route.fallback.map { ", else \(target($0))" } ?? "")
        }.joined(separator: ", ")
    }
}
