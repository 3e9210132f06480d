import Foundation

/// The data folder's files in the object store (`shared`), when there is one: every file a request or another node
/// needs goes there under its path in the data folder before anyone is told of it (a site before it goes live, an upload
/// before its PUT is answered, a TEST step's files before the job ends), and comes from there to a node that lacks it.
/// Without an object store, each of these does nothing.
extension SiteFiles {
    /// The object of a file or folder under the data folder: its path there.
    public func objectKey(_ url: URL) -> String {
        let root = self.root.standardizedFileURL.path
        let path = url.standardizedFileURL.path
        precondition(path.hasPrefix(root + "/"), "\(path) is not under the data folder \(root)")
        return String(path.dropFirst(root.count + 1))
    }

    /// Stores the job's site, and the headers its `customHttp.yml` gave it, in the object store (before it goes live);
    /// this node holds it from now on. `generation` is the branch's creation time (`SiteCache`).
    public func share(_ key: JobKey, generation: Date) async throws {
        guard let shared, let cache else { return }
        let headers = self.folder("deploy-settings", key)
        if FileManager.default.fileExists(atPath: headers.path) { try await shared.push(folder: headers, as: self.objectKey(headers)) }
        let site = self.site(key)
        try await shared.push(folder: site, as: self.objectKey(site))
        cache.keep(key, generation: generation.timeIntervalSince1970, bytes: Self.bytes(under: site), drop: self.drop)
    }

    /// Makes sure this node holds the job's site (and its headers): fetched from the object store into a folder beside
    /// it, then moved in place, unless the node holds this generation of it already. A site the store lacks (deployed
    /// before the node used one) is served as this node has it.
    public func fetch(_ key: JobKey, generation: Date) async throws {
        guard let shared, let cache else { return }
        let stamp = generation.timeIntervalSince1970
        if cache.holds(key, generation: stamp) { return }
        try await cache.fetch(key, generation: stamp, drop: self.drop) {
            let site = self.site(key)
            let staging = site.deletingLastPathComponent().appending(path: ".\(key.jobId)-fetch-\(UUID().uuidString.lowercased())")
            defer { Self.remove(staging) }
            guard let bytes = try await shared.pull(self.objectKey(site), into: staging) else { return Self.bytes(under: site) }
            let headers = self.folder("deploy-settings", key)
            Self.remove(headers)
            _ = try await shared.pull(self.objectKey(headers), into: headers)
            Self.remove(site)
            try FileManager.default.moveItem(at: staging, to: site)
            return bytes
        }
    }

    /// Stores a file of the data folder (an upload, a build cache) in the object store.
    public func share(file: URL) async throws {
        try await self.shared?.push(file: file, as: self.objectKey(file))
    }

    /// Fetches a file of the data folder from the object store, replacing this node's copy; false when the store has
    /// none (or there is no store).
    public func fetch(file: URL) async throws -> Bool {
        try await self.fetch(file: file, key: self.objectKey(file))
    }

    /// Fetches the object `key` into `file`, replacing what is there (through a file beside it, moved in place); false
    /// when the store has none (or there is no store).
    public func fetch(file: URL, key: String) async throws -> Bool {
        guard let shared else { return false }
        let partial = file.deletingLastPathComponent().appending(path: ".\(file.lastPathComponent).\(UUID().uuidString.lowercased()).part")
        guard try await shared.pull(file: key, into: partial) else { return false }
        guard rename(partial.path, file.path) == 0 else {
            Self.remove(partial)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file.path])
        }
        return true
    }

    /// Fetches what was PUT for a deployment, through whichever node, into its uploads folder.
    public func fetchUploads(_ key: JobKey) async throws {
        guard let shared else { return }
        for object in try await shared.list(self.objectKey(self.uploads(key))) {
            _ = try await self.fetch(file: URL(fileURLWithPath: self.root.path + "/" + object))
        }
    }

    /// Removes a deployment's uploads once it is deployed, here and in the object store.
    public func removeUploads(_ key: JobKey) async {
        let uploads = self.uploads(key)
        Self.remove(uploads)
        try? await self.shared?.remove(self.objectKey(uploads))
    }

    /// Stores a TEST step's files (each artifact and their zip) in the object store.
    public func shareTestArtifacts(_ key: JobKey) async throws {
        let folder = self.testArtifacts(key)
        guard let shared, FileManager.default.fileExists(atPath: folder.path) else { return }
        try await shared.push(folder: folder, as: self.objectKey(folder))
    }

    /// Whether this node, or else the object store, has a file of the data folder.
    public func has(_ file: URL) async throws -> Bool {
        if FileManager.default.fileExists(atPath: file.path) { return true }
        return try await self.shared?.has(self.objectKey(file)) ?? false
    }

    /// Fetches a file of a TEST step this node lacks (the job ran on another); false when there is none.
    public func fetchIfMissing(_ file: URL) async throws -> Bool {
        if FileManager.default.fileExists(atPath: file.path) { return true }
        return try await self.fetch(file: file)
    }

    /// Removes a job's objects, and this node's copy of its site.
    func unshare(_ key: JobKey) async {
        guard let shared, let cache else { return }
        cache.forget { $0 == key }
        for kind in Self.kinds { try? await shared.remove(self.objectKey(self.folder(kind, key))) }
    }

    /// Removes the objects of a branch (`appId` and `branchName`) or an app (`branchName` nil).
    func unshare(_ scope: Scope, appId: String, branchName: String?) async {
        guard let shared, let cache else { return }
        cache.forget { $0.scope == scope && $0.appId == appId && (branchName == nil || $0.branchName == branchName) }
        // An app's access logs go with it (`AccessLog`'s objects: access-logs/<account>/<region>/<app>/…).
        for kind in Self.kinds + (branchName == nil ? ["access-logs"] : []) {
            var folder = self.appFolder(kind, scope, appId: appId)
            if let branchName { folder = folder.appending(path: Self.segment(branchName), directoryHint: .isDirectory) }
            try? await shared.remove(self.objectKey(folder))
        }
    }

    /// Drops this node's copy of a site (the cache is over its bound).
    private var drop: @Sendable (JobKey) -> Void {
        { key in
            Self.remove(self.site(key))
            Self.remove(self.folder("deploy-settings", key))
        }
    }

    /// The bytes of the files under `folder`.
    static func bytes(under folder: URL) -> Int64 {
        var total: Int64 = 0
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey])
        while let file = enumerator?.nextObject() as? URL {
            if let values = try? file.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey]), values.isRegularFile == true {
                total += Int64(values.fileSize ?? 0)
            }
        }
        return total
    }
}
