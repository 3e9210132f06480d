import AmplifyCore
import Foundation
import Testing

@testable import AmplifyBuilds

@Suite struct FrameworkDetectionTests {
    /// Detects in a new folder holding `files` ({path: text}), with `tools` on the PATH.
    func detect(_ files: [String: String], platform: Platform = .web, tools: Set<String> = ["npm", "hugo"]) throws -> FrameworkDetection {
        let folder = FileManager.default.temporaryDirectory.appending(path: "detect-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        for (path, text) in files {
            let file = folder.appending(path: path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: file, atomically: true, encoding: .utf8)
        }
        return try FrameworkDetection.detect(in: folder, platform: platform) { tools.contains($0) }
    }

    func package(build: String = "vite build", dependencies: [String: String] = [:], dev: [String: String] = [:]) throws -> String {
        let object: [String: Any] = ["name": "x", "scripts": ["build": build], "dependencies": dependencies, "devDependencies": dev]
        return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    @Test func nodeFrameworksAreNamedAndTheirOutputFoldersKnown() throws {
        let cases: [(String, [String: String], [String])] = [
            ("React", ["package.json": try package(build: "react-scripts build", dependencies: ["react-scripts": "5", "react": "18"])], ["build"]),
            ("React", ["package.json": try package(dependencies: ["react": "18"], dev: ["vite": "5"])], ["dist", "build"]),
            ("Vue", ["package.json": try package(dependencies: ["vue": "3"])], ["dist"]),
            ("Gatsby", ["package.json": try package(build: "gatsby build", dependencies: ["gatsby": "5"])], ["public"]),
            ("Astro", ["package.json": try package(build: "astro build", dependencies: ["astro": "4"])], ["dist"]),
            ("SvelteKit", ["package.json": try package(dev: ["@sveltejs/kit": "2"])], ["build", "dist"]),
            ("Nuxt", ["package.json": try package(build: "nuxt generate", dependencies: ["nuxt": "3"])], [".output/public", "dist"]),
            (
                "Next.js - SSG",
                ["package.json": try package(build: "next build", dependencies: ["next": "15"]), "next.config.mjs": "export default { output: 'export' }"],
                ["out"]
            ),
            (
                "Angular",
                [
                    "package.json": try package(build: "ng build", dependencies: ["@angular/core": "18"]),
                    "angular.json": #"{"projects": {"shop": {"architect": {"build": {"options": {"outputPath": "dist/shop"}}}}}}"#,
                ],
                ["dist/shop/browser", "dist/shop"]
            ),
            ("Web", ["package.json": try package(build: "node build.js")], ["dist", "build", "public", "out"]),
            ("Hugo", ["config.toml": "title = 'x'"], ["public"]),
            ("Web", ["index.html": "<h1>x</h1>"], ["."]),
        ]
        for (framework, files, outputs) in cases {
            let detection = try detect(files)
            #expect(detection.framework == framework, "\(files.keys)")
            #expect(detection.outputCandidates == outputs, "\(framework)")
        }
    }

    @Test func theLockfileChoosesTheInstallCommand() throws {
        let package = try package()
        #expect(try detect(["package.json": package]).commands == ["npm install", "npm run build"])
        #expect(try detect(["package.json": package, "package-lock.json": "{}"]).commands == ["npm ci", "npm run build"])
        #expect(try detect(["package.json": package, "yarn.lock": ""], tools: ["yarnpkg"]).commands == ["yarnpkg install --frozen-lockfile", "yarnpkg run build"])
        #expect(try detect(["package.json": package, "pnpm-lock.yaml": ""], tools: ["pnpm"]).commands == ["pnpm install --frozen-lockfile", "pnpm run build"])
        #expect(throws: FrameworkDetection.Undetectable.self) { try detect(["package.json": package], tools: []) }
        #expect(throws: FrameworkDetection.Undetectable.self) { try detect(["hugo.toml": ""], tools: []) }
        // A server build of Next.js or Nuxt needs compute.
        #expect(throws: FrameworkDetection.Undetectable.self) { try detect(["package.json": try self.package(build: "next build", dependencies: ["next": "15"])]) }
        #expect(throws: FrameworkDetection.Undetectable.self) { try detect(["package.json": try self.package(build: "nuxt build", dependencies: ["nuxt": "3"])]) }
    }

    @Test func onAComputeAppServerBuildsOfNextAndNuxtAreDetected() throws {
        let next = try detect(["package.json": try package(build: "next build", dependencies: ["next": "15"])], platform: .webCompute)
        #expect(next.framework == "Next.js - SSR" && next.outputCandidates == [".next"])
        let nuxt = try detect(["package.json": try package(build: "nuxt build", dependencies: ["nuxt": "3"])], platform: .webCompute)
        #expect(nuxt.framework == "Nuxt" && nuxt.outputCandidates == [".amplify-hosting"])
        // A static export and nuxt generate stay static on a compute app too.
        let exported = try detect(
            ["package.json": try package(build: "next build", dependencies: ["next": "15"]), "next.config.js": "module.exports = { output: 'export' }"],
            platform: .webCompute
        )
        #expect(exported.framework == "Next.js - SSG" && exported.outputCandidates == ["out"])
        #expect(try detect(["package.json": try package(build: "nuxt generate", dependencies: ["nuxt": "3"])], platform: .webCompute).outputCandidates == [".output/public", "dist"])
    }
}
