import Foundation

/// An object store that holds a node's data folder under the same names (`--object-store`), so that nodes share no
/// folder: what one node writes there, every other fetches. Keys are paths relative to the data folder
/// (`artifacts/<account>/<region>/<app>/<branch>/<job>`).
public protocol SharedFolders: Sendable {
    /// Stores every file and link of `folder` under `key`, the folder's listing last: until it is there, the folder is
    /// not whole, and `pull` does not see it.
    func push(folder: URL, as key: String) async throws
    /// Fetches the whole folder stored as `key` into `folder` (made); nil when there is none, else the bytes fetched.
    func pull(_ key: String, into folder: URL) async throws -> Int64?
    /// Stores one file as `key`, streamed (in parts when it is large).
    func push(file: URL, as key: String) async throws
    /// Fetches the object `key` into `file`; false when there is none.
    func pull(file key: String, into file: URL) async throws -> Bool
    /// Stores `bytes` as the object `key` (a small one: an hour of a node's access log).
    func put(_ bytes: [UInt8], as key: String) async throws
    /// The object `key`'s bytes; nil when there is none.
    func get(_ key: String) async throws -> [UInt8]?
    /// Whether there is an object `key`.
    func has(_ key: String) async throws -> Bool
    /// The keys of the objects under `key/` (for a folder stored file by file, such as a deployment's uploads).
    func list(_ key: String) async throws -> [String]
    /// Removes the object `key`, the folder of that key, and everything under `key/`.
    func remove(_ key: String) async throws
}
