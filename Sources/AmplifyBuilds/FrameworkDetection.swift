import AmplifyCore
import Foundation

/// What a build does when neither the branch, the app nor the repository has a build spec: the framework is
/// detected from the repository's files as Amplify does, and a build spec made for it.
///
/// - `package.json` with a `build` script: install with the lockfile's tool (`npm ci`, `yarn install
///   --frozen-lockfile`, `pnpm install --frozen-lockfile`; `npm install` without a lockfile), run the build with it,
///   deploy the framework's usual output folder (the first of its candidates that the build made); on a compute app
///   (`WEB_COMPUTE`) Next.js without `output: 'export'` is `Next.js - SSR` (`.next`, deployed by
///   `NextStandaloneOutput`) and Nuxt with `nuxt build` writes Nitro's `.amplify-hosting` (Nitro picks its Amplify
///   preset from `AWS_APP_ID`);
/// - Hugo (`hugo.toml`, `hugo.yaml`, `hugo.json`, `config.toml`): `hugo`, deploy `public`;
/// - an `index.html` and no `package.json`: deploy the repository as it is (`.git` left out).
struct FrameworkDetection: Equatable, Sendable {
    /// Why nothing can be built without a build spec.
    struct Undetectable: Error, Equatable {
        var message: String
    }

    /// The framework as the branch's `framework` names it (`React`, `Next.js - SSG`, `Hugo`, `Web`, …).
    var framework: String
    /// What gave it away, for the log.
    var evidence: String
    var commands: [String]
    /// Folders (relative to the app root) the output may be in, the first that exists after the build is deployed.
    var outputCandidates: [String]

    /// The build spec the detection stands for.
    var spec: BuildSpec {
        var spec = BuildSpec()
        if !self.commands.isEmpty {
            spec.phases = [BuildSpec.Phase(section: "frontend", name: "build", commands: self.commands)]
        }
        return spec
    }

    /// Detects the framework of the app in `folder` for an app of `platform`; `toolExists` says whether a program is on
    /// the build's PATH.
    static func detect(in folder: URL, platform: Platform = .web, toolExists: (String) -> Bool) throws(Undetectable) -> FrameworkDetection {
        func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: folder.appending(path: name).path) }
        if exists("package.json") {
            return try Self.node(in: folder, compute: platform != .web, exists: exists, toolExists: toolExists)
        }
        if let config = ["hugo.toml", "hugo.yaml", "hugo.json", "config.toml"].first(where: exists) {
            guard toolExists("hugo") else {
                throw Undetectable(message: "Detected a Hugo site (\(config)), but hugo is not installed on this machine (Debian: apt-get install hugo).")
            }
            return FrameworkDetection(framework: "Hugo", evidence: config, commands: ["hugo"], outputCandidates: ["public"])
        }
        if exists("index.html") {
            return FrameworkDetection(framework: "Web", evidence: "index.html and no package.json", commands: [], outputCandidates: ["."])
        }
        throw Undetectable(
            message: "No build spec, and no framework detected (no package.json with a build script, no Hugo configuration, no index.html): add an amplify.yml to the repository."
        )
    }

    private static func node(in folder: URL, compute: Bool, exists: (String) -> Bool, toolExists: (String) -> Bool) throws(Undetectable) -> FrameworkDetection {
        let manifest = folder.appending(path: "package.json")
        guard let data = FileManager.default.contents(atPath: manifest.path),
            let package = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else {
            throw Undetectable(message: "package.json is not a JSON object: fix it, or add an amplify.yml to the repository.")
        }
        let scripts = package["scripts"] as? [String: Any] ?? [:]
        guard let build = scripts["build"] as? String else {
            throw Undetectable(message: "package.json has no build script, so there is nothing to build: add one, or an amplify.yml to the repository.")
        }
        var dependencies: Set<String> = []
        for field in ["dependencies", "devDependencies"] {
            dependencies.formUnion((package[field] as? [String: Any] ?? [:]).keys)
        }

        // The package manager, by lockfile.
        let install: String
        let run: String
        let lockfile: String
        if exists("pnpm-lock.yaml") {
            guard toolExists("pnpm") else { throw Undetectable(message: "The repository has pnpm-lock.yaml, but pnpm is not installed on this machine.") }
            (lockfile, install, run) = ("pnpm-lock.yaml", "pnpm install --frozen-lockfile", "pnpm run build")
        } else if exists("yarn.lock") {
            // Debian ships yarn as yarnpkg.
            guard let yarn = ["yarn", "yarnpkg"].first(where: toolExists) else {
                throw Undetectable(message: "The repository has yarn.lock, but yarn is not installed on this machine (Debian: apt-get install yarnpkg).")
            }
            (lockfile, install, run) = ("yarn.lock", "\(yarn) install --frozen-lockfile", "\(yarn) run build")
        } else if let lock = ["package-lock.json", "npm-shrinkwrap.json"].first(where: exists) {
            (lockfile, install, run) = (lock, "npm ci", "npm run build")
        } else {
            (lockfile, install, run) = ("no lockfile", "npm install", "npm run build")
        }
        if run.hasPrefix("npm "), !toolExists("npm") {
            throw Undetectable(message: "The repository is a Node.js project (package.json), but npm is not installed on this machine.")
        }

        let (framework, outputs) = try Self.nodeFramework(build: build, dependencies: dependencies, compute: compute, folder: folder, exists: exists)
        return FrameworkDetection(
            framework: framework, evidence: "package.json (build script \"\(build)\", \(lockfile))", commands: [install, run],
            outputCandidates: outputs
        )
    }

    /// The framework and its usual output folders, from the dependencies and the build script.
    private static func nodeFramework(
        build: String, dependencies: Set<String>, compute: Bool, folder: URL, exists: (String) -> Bool
    ) throws(Undetectable) -> (String, [String]) {
        if dependencies.contains("next") {
            let config = ["next.config.js", "next.config.mjs", "next.config.ts", "next.config.cjs"].first(where: exists)
                .flatMap { try? String(contentsOf: folder.appending(path: $0), encoding: .utf8) } ?? ""
            let exported = build.contains("next export")
                || config.range(of: #"output\s*:\s*['"]export['"]"#, options: .regularExpression) != nil
            if exported { return (NextStandaloneOutput.exportFramework, ["out"]) }
            guard compute else {
                throw Undetectable(
                    message: "Detected Next.js - SSR (next build without output: 'export'): server-side rendering needs the app's platform to be WEB_COMPUTE (UpdateApp --platform WEB_COMPUTE). Set output: 'export' in next.config for a static export, or add an amplify.yml."
                )
            }
            return (NextStandaloneOutput.framework, [".next"])
        }
        if dependencies.contains("nuxt") || dependencies.contains("nuxt3") {
            if build.contains("generate") { return ("Nuxt", [".output/public", "dist"]) }
            guard compute else {
                throw Undetectable(
                    message: "Detected Nuxt with a server build (nuxt build): server-side rendering needs the app's platform to be WEB_COMPUTE (UpdateApp --platform WEB_COMPUTE). Use nuxt generate as the build script, or add an amplify.yml."
                )
            }
            // Nitro writes its aws-amplify preset's output when it sees AWS_APP_ID, as every build has.
            return ("Nuxt", [".amplify-hosting"])
        }
        if dependencies.contains("gatsby") { return ("Gatsby", ["public"]) }
        if dependencies.contains("@angular/core") { return ("Angular", Self.angularOutputs(folder)) }
        if dependencies.contains("react-scripts") { return ("React", ["build"]) }
        if dependencies.contains("astro") { return ("Astro", ["dist"]) }
        if dependencies.contains("@sveltejs/kit") { return ("SvelteKit", ["build", "dist"]) }
        if dependencies.contains("vue") || dependencies.contains("@vue/cli-service") { return ("Vue", ["dist"]) }
        if dependencies.contains("react") { return ("React", ["dist", "build"]) }
        return ("Web", ["dist", "build", "public", "out"])
    }

    /// Angular's output: `angular.json`'s `outputPath` of the default (or first) project, else `dist/<project>`; the
    /// application builder (Angular 17+) writes the site to its `browser` folder.
    private static func angularOutputs(_ folder: URL) -> [String] {
        guard let data = FileManager.default.contents(atPath: folder.appending(path: "angular.json").path),
            let workspace = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let projects = workspace["projects"] as? [String: Any], let first = projects.keys.sorted().first
        else { return ["dist"] }
        let name = (workspace["defaultProject"] as? String).flatMap { projects[$0] != nil ? $0 : nil } ?? first
        let options = (((projects[name] as? [String: Any])?["architect"] as? [String: Any])?["build"] as? [String: Any])?["options"] as? [String: Any]
        let output: String
        switch options?["outputPath"] {
        case let path as String: output = path
        case let object as [String: Any]: output = object["base"] as? String ?? "dist/\(name)"
        default: output = "dist/\(name)"
        }
        return ["\(output)/browser", output]
    }
}
