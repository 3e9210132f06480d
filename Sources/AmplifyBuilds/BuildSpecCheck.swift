import Foundation

/// A build spec read without a build (`amplify-local check-spec`), by the reader builds use.
public enum BuildSpecCheck {
    /// What a build would take from a build spec, as JSON (`amplify-local check-spec`): its application folder, the
    /// folder its commands run in, each phase's commands, the artifacts, the cache paths and what was ignored; or
    /// why it cannot be used (`BuildSpec.Invalid`'s message).
    public static func summary(yaml: String, monorepoAppRoot: String?) -> Result<Data, Refused> {
        let spec: BuildSpec
        do {
            spec = try BuildSpec(yaml: yaml, monorepoAppRoot: monorepoAppRoot)
        } catch {
            return .failure(Refused(message: error.message))
        }
        var summary: [String: Any] = [
            "appRoot": spec.appRoot,
            "buildPath": spec.workingDirectory,
            "phases": (spec.phases + spec.testPhases).map { ["section": $0.section, "name": $0.name, "commands": $0.commands] },
            "cachePaths": spec.cachePaths,
            "warnings": spec.warnings,
        ]
        if let base = spec.artifactsBaseDirectory {
            summary["artifacts"] = ["baseDirectory": base, "files": spec.artifactFiles, "discardPaths": spec.discardPaths]
        }
        let data = (try? JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) ?? Data()
        return .success(data)
    }

    /// Why a build spec cannot be used.
    public struct Refused: Error, CustomStringConvertible {
        public var message: String
        public var description: String { self.message }
    }
}
