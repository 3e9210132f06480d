@testable import AmplifyBuilds
import AmplifyProcess
import AmplifyCore
import Testing

/// Build spec reading, file patterns and the build script, without running anything.
@Suite struct BuildSpecTests {
    @Test func readsPhasesInOrderWithVariablesArtifactsAndCache() throws {
        let spec = try BuildSpec(
            yaml: """
                version: 1
                env:
                  variables:
                    NODE_ENV: production
                    RETRIES: 3
                frontend:
                  phases:
                    postBuild:
                      commands: [echo post]
                    build:
                      commands:
                        - npm run build
                        - |
                          echo one
                          echo two
                    preBuild:
                      commands: npm ci
                  artifacts:
                    baseDirectory: /build/out
                    files: ['**/*']
                    discard-paths: yes
                  cache:
                    paths: [node_modules/**/*]
                backend:
                  phases:
                    build:
                      commands: [amplifyPush --simple]
                """,
            monorepoAppRoot: nil
        )
        #expect(spec.phases.map { "\($0.section).\($0.name)" } == ["backend.build", "frontend.preBuild", "frontend.build", "frontend.postBuild"])
        #expect(spec.phases[1].commands == ["npm ci"])
        #expect(spec.phases[2].commands == ["npm run build", "echo one\necho two\n"])
        #expect(spec.variables == ["NODE_ENV": "production", "RETRIES": "3"])
        #expect(spec.artifactsBaseDirectory == "build/out")
        #expect(spec.discardPaths)
        #expect(spec.cachePaths == ["node_modules/**/*"])
        #expect(spec.appRoot == ".")
    }

    @Test func monorepoFormNeedsTheAppRootWhenThereAreSeveral() throws {
        let yaml = """
            version: 1
            applications:
              - appRoot: apps/web
                frontend:
                  phases:
                    build:
                      commands: [echo web]
              - appRoot: apps/api/
                frontend:
                  phases:
                    build:
                      commands: [echo api]
            """
        #expect(try BuildSpec(yaml: yaml, monorepoAppRoot: "apps/api").appRoot == "apps/api")
        #expect(try BuildSpec(yaml: yaml, monorepoAppRoot: "apps/web").phases.first?.commands == ["echo web"])
        #expect(throws: BuildSpec.Invalid.self) { try BuildSpec(yaml: yaml, monorepoAppRoot: nil) }
        #expect(throws: BuildSpec.Invalid.self) { try BuildSpec(yaml: yaml, monorepoAppRoot: "apps/none") }
    }

    @Test(arguments: [
        ("frontend: [", "not valid YAML"),
        ("- a\n- b", "must be a YAML mapping"),
        ("version: 1", "no frontend or backend section"),
        ("version: 1\nfrontend:\n  phases:\n    build: [npm ci]", "frontend.phases.build must be a mapping with commands (line 4)"),
        ("frontend:\n  phases:\n    build:\n      commands: {a: b}", "frontend.phases.build.commands must be a list (line 4)"),
        ("frontend:\n  phases:\n    build:\n      commands: [[1]]", "must be a string"),
        ("applications:\n  - appRoot: ../outside\n    frontend: {phases: {build: {commands: [x]}}}", "relative path inside the repository"),
        ("frontend:\n  phases:\n    build: {commands: [x]}\n  artifacts:\n    baseDirectory: a/../../b", "relative path inside the repository"),
    ])
    func refusesWhatItCannotRun(yaml: String, message: String) {
        do {
            _ = try BuildSpec(yaml: yaml, monorepoAppRoot: nil)
            Issue.record("accepted \(yaml)")
        } catch {
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test func readsTheShapesAWSBuilds() throws {
        // `baseDirectory: /` (and `.`, `./`) is the application's folder; phases may have no commands.
        for base in ["/", ".", "./"] {
            let spec = try BuildSpec(yaml: "version: 1\nfrontend:\n  phases:\n    build:\n      commands: []\n  artifacts:\n    baseDirectory: \(base)\n    files: ['**/*']\n", monorepoAppRoot: nil)
            #expect(spec.artifactsBaseDirectory == "." && spec.phases.isEmpty && spec.warnings.isEmpty)
        }
        #expect(try BuildSpec(yaml: "frontend:\n  phases:\n    preBuild:\n    build:\n      commands:\n  artifacts: {baseDirectory: dist}\n", monorepoAppRoot: nil).phases.isEmpty)
        // appRoot with a leading or trailing slash; one command as a string; version 0.1; a document indented as a
        // whole, with CRLF line ends.
        let indented = "  version: 0.1\r\n  applications:\r\n    - appRoot: /apps/web/\r\n      frontend:\r\n        phases:\r\n          build:\r\n            commands: npm run build\r\n"
        let spec = try BuildSpec(yaml: indented, monorepoAppRoot: "apps/web")
        #expect(spec.appRoot == "apps/web" && spec.phases == [BuildSpec.Phase(section: "frontend", name: "build", commands: ["npm run build"])])
        // YAML 1.2's core schema, as AWS reads it: `yes` stays a word.
        #expect(try BuildSpec(yaml: "env:\n  variables:\n    FLAG: yes\nfrontend: {phases: {build: {commands: [x]}}}", monorepoAppRoot: nil).variables == ["FLAG": "yes"])
        // A monorepo built from its root: the commands run in buildPath, and baseDirectory is read from there.
        let rooted = try BuildSpec(
            yaml: "applications:\n  - appRoot: apps/web\n    frontend:\n      buildPath: /\n      phases: {build: {commands: [pnpm build]}}\n      artifacts: {baseDirectory: apps/web/dist}\n",
            monorepoAppRoot: nil
        )
        #expect(rooted.appRoot == "apps/web" && rooted.workingDirectory == "." && rooted.artifactsBaseDirectory == "apps/web/dist")
    }

    @Test func keysAmplifyDoesNotReadAreIgnoredWithAWarningNamingTheirLine() throws {
        let spec = try BuildSpec(
            yaml: "version: 1\nfrontend:\n  phases:\n    install:\n      commands: [npm ci]\n    build:\n      commands: [npm run build]\n      runtime-versions: {nodejs: 20}\n  artifacts:\n    baseDirectory: dist\n    exclude: [x]\nextra: 1\n",
            monorepoAppRoot: nil
        )
        #expect(spec.phases.map(\.name) == ["build"])
        #expect(spec.warnings == [
            "The build spec's extra (line 12) is not a key Amplify reads: ignored.",
            "The build spec's frontend.phases.install (line 4) is not a key Amplify reads: ignored.",
            "The build spec's frontend.phases.build.runtime-versions (line 8) is not a key Amplify reads: ignored.",
            "The build spec's frontend.artifacts.exclude (line 11) is not a key Amplify reads: ignored.",
        ])
    }

    @Test func liveUpdatesAreCheckedBeforeTheyReachTheShell() throws {
        #expect(try LiveUpdate.parse(nil).isEmpty && LiveUpdate.parse(" ").isEmpty)
        #expect(try LiveUpdate.parse(#"[{"name":"Node.js version","pkg":"node","type":"nvm","version":20}]"#) == [LiveUpdate(package: "node", type: "nvm", version: "20")])
        #expect(throws: LiveUpdate.Invalid.self) { try LiveUpdate.parse(#"[{"pkg":"node; rm -rf /","type":"nvm","version":"20"}]"#) }
        #expect(throws: LiveUpdate.Invalid.self) { try LiveUpdate.parse(#"[{"pkg":"node","type":"nvm","version":"$(id)"}]"#) }
        #expect(throws: LiveUpdate.Invalid.self) { try LiveUpdate.parse(#"{"pkg":"node"}"#) }
        #expect(throws: LiveUpdate.Invalid.self) { try LiveUpdate.parse(#"[{"pkg":"node","type":"nvm"}]"#) }
        #expect(LiveUpdate(package: "yarn", type: "npm", version: "latest").commands.first?.contains("Ensuring NPM package") == true)
        #expect(LiveUpdate(package: "left-pad", type: "npm", version: "1").commands.joined().contains("cannot apply pkg left-pad"))
    }

    @Test func globsMatchLikeTheBuildSpecMeansThem() {
        #expect(FileGlob("**/*").matches("index.html"))
        #expect(FileGlob("**/*").matches("a/b/c.js"))
        #expect(FileGlob("*.html").matches("index.html"))
        #expect(!FileGlob("*.html").matches("docs/index.html"))
        #expect(FileGlob("**/*.html").matches("docs/index.html"))
        #expect(FileGlob("assets/**").matches("assets/img/a.png"))
        #expect(!FileGlob("assets/**").matches("other/a.png"))
        #expect(FileGlob("img/?.png").matches("img/a.png"))
        #expect(!FileGlob("img/?.png").matches("img/ab.png"))
        #expect(FileGlob("./dist/*").matches("dist/x"))
        #expect(FileGlob("node_modules/**/*").literalPrefix == "node_modules")
        #expect(FileGlob(".next/cache/**/*").literalPrefix == ".next/cache")
    }

    @Test func scriptQuotesCommandsAndNamesTheFailedOne() throws {
        let spec = try BuildSpec(yaml: "frontend:\n  phases:\n    build:\n      commands:\n        - echo 'a b'\n        - exit 4\n", monorepoAppRoot: nil)
        let script = BuildScript(phases: spec.phases, appRoot: "/w/repo", controlFile: "/w/control")
        #expect(script.text.contains("eval 'echo '\\''a b'\\''' || exit $?"))
        #expect(script.commands.map(\.command) == ["echo 'a b'", "exit 4"])
        #expect(RealBuild.failure(.exited(4), reached: "1", commands: script.commands) == "Command failed with exit code 4 in frontend.build: exit 4")
        #expect(RealBuild.failure(.exited(0), reached: "done", commands: script.commands) == nil)
        #expect(RealBuild.failure(.exited(0), reached: "0", commands: script.commands)?.contains("exited early") == true)
        #expect(RealBuild.failure(.signaled(9), reached: "0", commands: script.commands)?.contains("signal 9") == true)
    }

    @Test func testSectionIsReadAlsoInsideAnApplication() throws {
        let yaml = """
            applications:
              - appRoot: web
                frontend:
                  phases:
                    build:
                      commands: [npm run build]
                test:
                  phases:
                    postTest:
                      commands: [npx mochawesome-merge]
                    preTest:
                      commands: [npm ci]
                    test:
                      commands: [npx cypress run]
                  artifacts:
                    baseDirectory: /cypress
                    configFilePath: '**/mochawesome.json'
                    files: ['**/*.png', '**/*.mp4']
            """
        let spec = try BuildSpec(yaml: yaml, monorepoAppRoot: nil)
        #expect(spec.testPhases.map { "\($0.section).\($0.name)" } == ["test.preTest", "test.test", "test.postTest"])
        #expect(spec.testArtifacts == BuildSpec.TestArtifacts(baseDirectory: "cypress", configFilePath: "**/mochawesome.json", files: ["**/*.png", "**/*.mp4"]))
        #expect(throws: BuildSpec.Invalid.self) {
            try BuildSpec(yaml: "frontend:\n  phases:\n    build:\n      commands: [x]\ntest:\n  artifacts:\n    baseDirectory: ../up\n", monorepoAppRoot: nil)
        }
        #expect(TestArtifact.isScreenshot("cypress/screenshots/a.cy.js/b (failed).png"))
        #expect(!TestArtifact.isScreenshot("screenshots.png") && !TestArtifact.isScreenshot("screenshots/notes.txt"))
    }

    @Test func secretValuesAreHiddenInLogLines() {
        let redactions = BuildLog.redactions(of: ["s3cr\"et", "ab", "line one\nline two"])
        func redact(_ text: String) -> String { String(decoding: BuildLog.redact(Array(text.utf8)[...], redactions), as: UTF8.self) }
        #expect(redact("token=s3cr\"et and again s3cr\"et") == "token=*** and again ***")
        #expect(redact(#"{"A":"s3cr\"et"}"#) == #"{"A":"***"}"#)
        #expect(redact("ab is too short to hide") == "ab is too short to hide")
        #expect(redact("got line two") == "got ***")
        #expect(redact("nothing here") == "nothing here")
    }
}
