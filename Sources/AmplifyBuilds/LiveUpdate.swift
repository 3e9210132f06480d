import Foundation

/// One entry of `_LIVE_UPDATES` (an app's or branch's variable, as Amplify's console writes it: `[{"name":"Node.js
/// version","pkg":"node","type":"nvm","version":"20"}]`): a tool of the build image set to a version before the first
/// phase, with the lines Amplify writes. amplify-local installs nothing: a version this machine has is used (`latest`
/// is the newest it has), one it does not have fails the build naming it.
struct LiveUpdate: Equatable, Sendable {
    var package: String
    var type: String
    var version: String

    /// Why `_LIVE_UPDATES` cannot be applied.
    struct Invalid: Error, Equatable {
        var message: String
    }

    /// The entries of `_LIVE_UPDATES`, none when it is unset or empty.
    static func parse(_ text: String?) throws(Invalid) -> [LiveUpdate] {
        guard let text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return [] }
        guard let list = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [Any] else {
            throw Invalid(message: #"_LIVE_UPDATES must be a JSON list such as [{"pkg":"node","type":"nvm","version":"20"}]."#)
        }
        return try list.enumerated().map { (index, item) throws(Invalid) in
            guard let entry = item as? [String: Any], let package = entry["pkg"] as? String, let type = entry["type"] as? String,
                let version = (entry["version"] as? String) ?? (entry["version"] as? NSNumber)?.stringValue
            else {
                throw Invalid(message: "_LIVE_UPDATES entry \(index + 1) must have pkg, type and version.")
            }
            guard package.range(of: #"^[@A-Za-z0-9._/-]+$"#, options: .regularExpression) != nil,
                version.range(of: #"^[A-Za-z0-9._*+~^-]+$"#, options: .regularExpression) != nil
            else {
                throw Invalid(message: "_LIVE_UPDATES entry \(index + 1): pkg \(package) and version \(version) must be a package name and a version.")
            }
            return LiveUpdate(package: package, type: type, version: version)
        }
    }

    /// The programs whose version an `npm`-type update checks, and how they say it.
    private static let versionCommands = [
        "yarn": "yarn --version", "pnpm": "pnpm --version", "npm": "npm --version", "@aws-amplify/cli": "amplify --version",
        "hugo": "hugo version | grep -o 'v[0-9][0-9.]*' | head -n 1 | tr -d v", "hugo-extended": "hugo version | grep -o 'v[0-9][0-9.]*' | head -n 1 | tr -d v",
    ]

    /// The bash lines that apply it (in the build's shell, before the first phase, nvm loaded).
    var commands: [String] {
        let quote = BuildScript.quote
        let version = self.version
        switch (self.package, self.type) {
        case ("node", _):
            let wanted = version == "latest" ? "node" : version
            return [
                "if __amplify_local_node=$(__nvm_match \(quote(wanted))) && [ -n \"$__amplify_local_node\" ]; then",
                "  printf '%s\\n' \(quote("# Node version \(version) is available for installation")) \(quote("# Installing Node version \(version)"))",
                "  __nvm_activate \"$__amplify_local_node\"",
                "  printf '%s\\n' \(quote("# Now using Node version \(version)")) \"# (node $__amplify_local_node, from _LIVE_UPDATES)\"",
                "else",
                "  printf '%s\\n' \(quote("!!! Node version not available: \(version)")) >&2; __nvm_installed_here; exit 1",
                "fi",
            ]
        case ("next-version", _):
            return ["printf '%s\\n' \(quote("# _LIVE_UPDATES next-version \(version): not applied (the build uses the next that package.json installs)."))"]
        case (let package, "npm"), (let package, "hugo"):
            guard let probe = Self.versionCommands[package] else { return Self.refuse(self) }
            let unavailable = package == "@aws-amplify/cli"
                ? "__amplify_local_backend \(quote("_LIVE_UPDATES \(package)@\(version)")) 'installs the Amplify CLI, whose commands deploy the backend' || exit 1"
                : "printf '%s\\n' \(quote("!!! amplify-local cannot install NPM package '\(package)' version '\(version)': it installs no packages, and this machine has ")) \"${__amplify_local_have:-none}\" >&2; exit 1"
            return [
                "printf '%s\\n' \(quote("# Ensuring NPM package '\(package)' is version: '\(version)'"))",
                "__amplify_local_have=$( (\(probe)) 2>/dev/null | head -n 1)",
                "if [ -n \"$__amplify_local_have\" ] && { [ \(quote(version)) = latest ] || [[ \"$__amplify_local_have\" == \(quote(version)) || \"$__amplify_local_have\" == \(quote(version)).* ]]; }; then",
                "  printf '%s\\n' \"# NPM package '\(package)' is at version $__amplify_local_have here: used as it is (amplify-local installs no packages; 'latest' is the version installed)\"",
                "else",
                "  \(unavailable)",
                "fi",
            ]
        default:
            return Self.refuse(self)
        }
    }

    private static func refuse(_ update: LiveUpdate) -> [String] {
        let message = "!!! _LIVE_UPDATES: amplify-local cannot apply pkg \(update.package) (type \(update.type)) version \(update.version): it applies node (nvm), and yarn, pnpm, npm, hugo and @aws-amplify/cli at the versions installed here."
        return ["printf '%s\\n' \(BuildScript.quote(message)) >&2; exit 1"]
    }
}
