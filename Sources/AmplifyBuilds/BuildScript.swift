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
        var lines = Self.setUp(controlFile: controlFile, appRoot: appRoot, prelude: prelude)
        let caching = cacheFile.flatMap { cachePaths.isEmpty ? nil : $0 }
        if let caching { lines += Self.restoreCache(from: caching) }
        let (phaseLines, commands) = Self.run(phases)
        lines += phaseLines
        if let caching { lines += Self.saveCache(cachePaths, to: caching, appRoot: appRoot) }
        lines += ["__amplify_local_at done", "exit 0"]
        self.commands = commands
        self.controlFile = controlFile
        self.text = lines.joined(separator: "\n") + "\n"
    }

    /// The control file's helper, then the build image's `prelude` commands; each leaves the shell in `appRoot`.
    private static func setUp(controlFile: String, appRoot: String, prelude: [String]) -> [String] {
        var lines = [
            "__amplify_local_control=\(Self.quote(controlFile))",
            "__amplify_local_at() { printf '%s\\n' \"$1\" > \"$__amplify_local_control\"; }",
            "cd -- \(Self.quote(appRoot)) || exit 1",
        ]
        if !prelude.isEmpty {
            lines += ["__amplify_local_at prelude"] + prelude + ["cd -- \(Self.quote(appRoot)) || exit 1"]
        }
        return lines
    }

    /// Unpacks the branch's cache when there is one; a cache that cannot be unpacked builds without it.
    private static func restoreCache(from cacheFile: String) -> [String] {
        [
            "if [ -f \(Self.quote(cacheFile)) ]; then",
            "  printf '%s\\n' '# Extracting cache...'",
            "  if tar -xf \(Self.quote(cacheFile)); then printf '%s\\n' '# Extraction completed'; else printf '%s\\n' '# Could not extract the cache; building without it.' >&2; fi",
            "else",
            "  printf '%s\\n' '# No cache found (the first build of this branch, or the last one saved none)'",
            "fi",
        ]
    }

    /// The phases' commands, each after the control file's note of its number, announced as Amplify writes them:
    /// `## Starting Frontend Build`, `# Starting phase: preBuild`, `# Executing command: …`, `# Completed phase:
    /// build`, `## Completed Frontend Build`. Returns the lines and the commands in the order they run.
    private static func run(_ phases: [BuildSpec.Phase]) -> (lines: [String], commands: [(phase: String, command: String)]) {
        var lines: [String] = []
        var commands: [(phase: String, command: String)] = []
        func say(_ text: String) { lines.append("printf '%s\\n' \(Self.quote(text))") }
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
        return (lines, commands)
    }

    /// Packs the `cachePaths` that exist (their literal prefixes, inside `appRoot`) into the cache, replacing it whole.
    private static func saveCache(_ cachePaths: [String], to cacheFile: String, appRoot: String) -> [String] {
        let paths = cachePaths.map { FileGlob($0).literalPrefix }.filter { !$0.isEmpty && $0 != ".." && !$0.hasPrefix("../") }
        return [
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

    /// The sections Amplify announces (`## Starting Frontend Build`); the test section is its own step.
    static let sectionTitles = ["backend": "Backend Build", "frontend": "Frontend Build"]

    /// A word in single quotes for bash.
    static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
