import AmplifyCore
import Foundation
/// The bash script a step runs (BUILD: the build spec's build phases; TEST: its test phases): the commands in one shell (so `cd` and `export` carry on
/// from command to command and phase to phase, as on AWS), stopping at the first command that fails.
///
/// Before each command the script writes the command's number to the control file, and `done` at the end,
/// so the runner can name the command a failed build stopped at. The cache is restored before the first
/// phase and saved after the last.
struct BuildScript: Sendable {
    /// The commands in the order they run, each with its phase.
    let commands: [(phase: String, command: String)]
    let text: String
    /// Where the script writes the number of the command it is at (`done` at the end).
    let controlFile: String

    /// A script for `phases`, after the `prelude` lines (the build image's commands, `_LIVE_UPDATES`); with
    /// `cacheFile`, `cachePaths` are restored from it first and saved to it at the end.
    init(phases: [BuildSpec.Phase], appRoot: String, controlFile: String, prelude: [String] = [], cacheFile: String? = nil, cachePaths: [String] = []) {
        var commands: [(String, String)] = []
        var lines = [
            "__amplify_local_control=\(Self.quote(controlFile))",
            "__amplify_local_at() { printf '%s\\n' \"$1\" > \"$__amplify_local_control\"; }",
            "cd -- \(Self.quote(appRoot)) || exit 1",
        ]
        if !prelude.isEmpty {
            lines += ["__amplify_local_at prelude"] + prelude + ["cd -- \(Self.quote(appRoot)) || exit 1"]
        }
        func say(_ text: String) { lines.append("printf '%s\\n' \(Self.quote(text))") }
        if let cacheFile, !cachePaths.isEmpty {
            lines += [
                "if [ -f \(Self.quote(cacheFile)) ]; then",
                "  printf '%s\\n' '# Extracting cache...'",
                "  if tar -xf \(Self.quote(cacheFile)); then printf '%s\\n' '# Extraction completed'; else printf '%s\\n' '# Could not extract the cache; building without it.' >&2; fi",
                "else",
                "  printf '%s\\n' '# No cache found (the first build of this branch, or the last one saved none)'",
                "fi",
            ]
        }
        // As Amplify writes them: `## Starting Frontend Build`, `# Starting phase: preBuild`, `# Executing command: …`,
        // `# Completed phase: build`, `## Completed Frontend Build`.
        var section = ""
        for (index, step) in phases.enumerated() {
            if index > 0 { say("# Completed phase: \(phases[index - 1].name)") }
            if step.section != section {
                if let title = Self.sectionTitles[section] { say("## Completed \(title)") }
                section = step.section
                if let title = Self.sectionTitles[section] { say("## Starting \(title)") }
            }
            say("# Starting phase: \(step.name)")
            for command in step.commands {
                lines += [
                    "__amplify_local_at \(commands.count)",
                    "printf '%s\\n' \(Self.quote("# Executing command: \(command)"))",
                    "eval \(Self.quote(command)) || exit $?",
                ]
                commands.append(("\(step.section).\(step.name)", command))
            }
        }
        if let last = phases.last {
            say("# Completed phase: \(last.name)")
            if let title = Self.sectionTitles[last.section] { say("## Completed \(title)") }
        }
        if let cacheFile, !cachePaths.isEmpty {
            let paths = cachePaths.map { FileGlob($0).literalPrefix }.filter { !$0.isEmpty && $0 != ".." && !$0.hasPrefix("../") }
            lines += [
                "__amplify_local_at cache",
                "cd -- \(Self.quote(appRoot)) || exit 1",
                "__amplify_local_paths=()",
                "for p in \(paths.map(Self.quote).joined(separator: " ")); do [ -e \"$p\" ] && __amplify_local_paths+=(\"$p\"); done",
                "if [ ${#__amplify_local_paths[@]} -gt 0 ]; then",
                "  printf '%s\\n' '# Starting caching...' '# Creating cache artifact...'",
                "  if tar -cf \(Self.quote(cacheFile + ".tmp")) -- \"${__amplify_local_paths[@]}\"; then mv -f \(Self.quote(cacheFile + ".tmp")) \(Self.quote(cacheFile)); printf '%s\\n' '# Created cache artifact' '# Caching completed'; else printf '%s\\n' '# Could not save the cache.' >&2; fi",
                "else",
                "  printf '%s\\n' '# Nothing to cache: none of cache.paths exists'",
                "fi",
            ]
        }
        lines += ["__amplify_local_at done", "exit 0"]
        self.commands = commands
        self.controlFile = controlFile
        self.text = lines.joined(separator: "\n") + "\n"
    }

    /// The sections Amplify announces (`## Starting Frontend Build`); the test section is its own step.
    static let sectionTitles = ["backend": "Backend Build", "frontend": "Frontend Build"]

    /// A word in single quotes for bash.
    static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
