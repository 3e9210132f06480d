import ArgumentParser
import Foundation

/// A flag's value, or else its `AMPLIFY_LOCAL_<NAME>` variable's, parsed (a bad one is an error that names it).
struct OptionFallback {
    let environment: [String: String]

    func value<T>(_ flag: T?, _ name: String, _ parse: (String) -> T?) throws -> T? {
        if let flag { return flag }
        guard let text = self.environment["AMPLIFY_LOCAL_\(name)"], !text.isEmpty else { return nil }
        guard let parsed = parse(text) else { throw ValidationError("AMPLIFY_LOCAL_\(name) has a bad value: '\(text)'.") }
        return parsed
    }

    /// A repeated flag's values, or else its variable's, split at `separator`.
    func list(_ flags: [String], _ name: String, separator: Character = ",") -> [String] {
        guard flags.isEmpty else { return flags }
        return (self.environment["AMPLIFY_LOCAL_\(name)"] ?? "").split(separator: separator).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }
}
