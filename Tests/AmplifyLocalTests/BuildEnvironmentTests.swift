import AmplifyCore
import Foundation
import Testing

/// What a build runs with, decided in Core: which build spec, and its variables in AWS's order.
@Suite struct BuildEnvironmentTests {
    let now = Date(timeIntervalSince1970: 1_700_000_000)

    @Test func theBranchsSpecWinsThenTheRepositorysThenTheAppsThenDetection() {
        #expect(BuildSpecChoice.of(branchSpec: "b", repositoryFile: "amplify.yml", appSpec: "a") == .branch(overriding: ["the repository's amplify.yml", "the app's buildSpec"]))
        #expect(BuildSpecChoice.of(branchSpec: "b", repositoryFile: nil, appSpec: "") == .branch(overriding: []))
        #expect(BuildSpecChoice.of(branchSpec: "", repositoryFile: "amplify.yaml", appSpec: "a") == .repository(file: "amplify.yaml", overridingApp: true))
        #expect(BuildSpecChoice.of(branchSpec: nil, repositoryFile: "amplify.yml", appSpec: nil) == .repository(file: "amplify.yml", overridingApp: false))
        #expect(BuildSpecChoice.of(branchSpec: nil, repositoryFile: nil, appSpec: "a") == .app)
        #expect(BuildSpecChoice.of(branchSpec: "", repositoryFile: nil, appSpec: "") == .detection)
        #expect(BuildSpecChoice.branch(overriding: ["the app's buildSpec"]).source == "the branch's buildSpec (it takes precedence over the app's buildSpec)")
    }

    @Test func buildTimeoutIsReadInMinutes() {
        #expect(BuildEnvironment.timeoutMinutes(nil) == 30)
        #expect(BuildEnvironment.timeoutMinutes("45") == 45)
        #expect(BuildEnvironment.timeoutMinutes(" 0.5 ") == 0.5)
        #expect(BuildEnvironment.timeoutMinutes("500") == 120)
        #expect(BuildEnvironment.timeoutMinutes("-1") == 30)
        #expect(BuildEnvironment.timeoutMinutes("soon") == 30)
    }

    /// The spec's variables < the app's < the branch's < AWS's built-ins; PATH kept when set, HOME and CI always ours.
    @Test func variablesComeInAWSsOrder() {
        var app = App(scope: Fixtures.scope, appId: "d1abc", name: "app", now: now)
        app.repository = "https://git.example/app.git"
        app.environmentVariables = ["SHARED": "app", "APP_ONLY": "a", "_BUILD_TIMEOUT": "0.5", "AWS_BRANCH": "spoofed"]
        var branch = Branch(scope: Fixtures.scope, appId: "d1abc", branchName: "pr-7", now: now)
        branch.environmentVariables = ["SHARED": "branch"]
        branch.pullRequest = PullRequest(number: 7, sourceBranch: "feature", destinationBranch: "main", ref: "refs/pull/7/head")
        let environment = BuildEnvironment(app: app, branch: branch)
        #expect(environment.timeoutMinutes == 0.5 && environment.timeoutText == "0.5")
        let builtIns = environment.builtIns(app: app, branch: branch, jobId: 12, commit: "abc")
        #expect(builtIns["AWS_JOB_ID"] == "0000000012" && builtIns["AWS_COMMIT_ID"] == "abc" && builtIns["_BUILD_TIMEOUT"] == "0.5")
        #expect(builtIns["AWS_PULL_REQUEST_ID"] == "7")
        let variables = environment.variables(
            specVariables: ["SHARED": "spec", "SPEC_ONLY": "s", "PATH": "/opt/bin"], builtIns: builtIns, place: .host(home: "/work/home", hostPath: "/usr/bin")
        )
        #expect(variables["SHARED"] == "branch" && variables["APP_ONLY"] == "a" && variables["SPEC_ONLY"] == "s")
        #expect(variables["AWS_BRANCH"] == "pr-7" && variables["AWS_CLONE_URL"] == "https://git.example/app.git")
        #expect(variables["PATH"] == "/opt/bin" && variables["HOME"] == "/work/home" && variables["CI"] == "true" && variables["LANG"] == "C.UTF-8")
        #expect(environment.variables(specVariables: [:], builtIns: [:], place: .host(home: "/h", hostPath: "/usr/bin"))["PATH"] == "/usr/bin")
        // In the build image, its own HOME, PATH and LANG stay unless the build sets them.
        let inImage = environment.variables(specVariables: ["PATH": "/opt/bin"], builtIns: [:], place: .image)
        #expect(inImage["PATH"] == "/opt/bin" && inImage["HOME"] == nil && inImage["LANG"] == nil && inImage["CI"] == "true")
    }

    /// `_CUSTOM_IMAGE` over `--build-image`; Amplify's own names stand for `--build-image`; `podman` refuses what it
    /// cannot do, `auto` builds on the host saying why, `host` says the image is ignored.
    @Test func theBuildRuntimePlacesABuild() async {
        let podman = BuildRuntime.podman, auto = BuildRuntime.auto
        #expect(await podman.placement(customImage: "my/image:1", defaultImage: "default", podmanProblem: { nil }) == .container(image: "my/image:1", source: "_CUSTOM_IMAGE"))
        #expect(await podman.placement(customImage: "", defaultImage: "default", podmanProblem: { nil }) == .container(image: "default", source: "--build-image"))
        guard case .container("default", let source) = await auto.placement(customImage: "amplify:al2023", defaultImage: "default", podmanProblem: { nil }) else {
            Issue.record("amplify:al2023 does not stand for --build-image")
            return
        }
        #expect(source.contains("amplify:al2023"))
        guard case .refused(let unnamed) = await podman.placement(customImage: nil, defaultImage: nil, podmanProblem: { nil }),
            case .refused(let unpublished) = await podman.placement(customImage: "amplify:al2", defaultImage: nil, podmanProblem: { nil }),
            case .refused(let broken) = await podman.placement(customImage: "x", defaultImage: nil, podmanProblem: { "podman is not installed" })
        else {
            Issue.record("podman built what it cannot")
            return
        }
        #expect(unnamed.contains("--build-image") && unpublished.contains("not published") && broken.contains("podman is not installed"))
        // podman is not probed for a build that wants no container.
        #expect(await auto.placement(customImage: nil, defaultImage: nil, podmanProblem: { Issue.record("podman was asked"); return nil }) == .host(note: nil))
        guard case .host(let fallback?) = await auto.placement(customImage: "x", defaultImage: nil, podmanProblem: { "no podman" }),
            case .host(let ignored?) = await BuildRuntime.host.placement(customImage: "x", defaultImage: "default", podmanProblem: { nil })
        else {
            Issue.record("a build on the host does not say why its image is not used")
            return
        }
        #expect(fallback.contains("no podman") && ignored.contains("--build-runtime host"))
        #expect(await BuildRuntime.host.placement(customImage: nil, defaultImage: "default", podmanProblem: { nil }) == .host(note: nil))
    }
}
