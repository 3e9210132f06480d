import Foundation

/// A secret value builds get (AWS: SSM parameters under `/amplify/<appId>/<branch>/`, handed to the build as the
/// `secrets` environment variable, a JSON object of name → value): set for an app, or for one branch, which
/// overrides the app's of the same name. Its value is stored sealed (the store never sees it in plain text) and
/// shown nowhere but inside the build.
public struct BuildSecret: Sendable, Equatable {
    public var scope: Scope
    public var appId: String
    /// The branch it is set for; nil for the whole app.
    public var branchName: String?
    public var name: String
    public var updatedAt: Date

    public init(scope: Scope, appId: String, branchName: String?, name: String, updatedAt: Date) {
        self.scope = scope
        self.appId = appId
        self.branchName = branchName
        self.name = name
        self.updatedAt = updatedAt
    }

    /// The longest name, and the largest value (SSM's advanced parameters hold 8 KB).
    public static let maxNameLength = 255
    public static let maxValueBytes = 8192

    /// A name is letters, digits, `_`, `.` and `-` (SSM's parameter name characters without the path's `/`).
    public static func requireValidName(_ name: String) throws(AmplifyError) {
        guard !name.isEmpty, name.utf8.count <= Self.maxNameLength else {
            throw .badRequest("A secret's name must be 1 to \(Self.maxNameLength) characters.")
        }
        guard name.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_.-".unicodeScalars.contains($0)) }) else {
            throw .badRequest("Secret name \(name) may hold only letters, digits, _, . and -.")
        }
    }

    /// A branch name as the API takes one: 1 to 255 characters, none of them a control character.
    public static func requireValidBranchName(_ name: String) throws(AmplifyError) {
        guard !name.isEmpty, name.count <= 255, !name.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
            throw .badRequest("Branch name \(name) must be 1 to 255 characters, without control characters.")
        }
    }

    public static func requireValidValue(_ value: [UInt8]) throws(AmplifyError) {
        guard !value.isEmpty else { throw .badRequest("A secret's value must not be empty.") }
        guard value.count <= Self.maxValueBytes else {
            throw .badRequest("A secret's value must be at most \(Self.maxValueBytes) bytes; this one is \(value.count).")
        }
        guard String(validating: value, as: UTF8.self) != nil else { throw .badRequest("A secret's value must be UTF-8 text.") }
    }

    /// The app's secrets as listed: all of them, or with `branchName` those its builds get, by name.
    public static func listed(_ secrets: [BuildSecret], branchName: String?) -> [BuildSecret] {
        guard let branchName else { return secrets }
        return Array(Self.effective(secrets.map { ($0, $0) }, branchName: branchName).values).sorted { $0.name < $1.name }
    }

    /// What applies to a branch: the app's secrets, with the branch's own over those of the same name.
    public static func effective<Value>(_ secrets: [(secret: BuildSecret, value: Value)], branchName: String) -> [String: Value] {
        var result: [String: Value] = [:]
        for (secret, value) in secrets where secret.branchName == nil { result[secret.name] = value }
        for (secret, value) in secrets where secret.branchName == branchName { result[secret.name] = value }
        return result
    }
}
