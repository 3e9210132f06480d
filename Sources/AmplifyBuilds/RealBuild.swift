import AmplifyCore
import AmplifyProcess
import Foundation
import Logging
import Synchronization

/// A real build of a RELEASE, RETRY or WEB_HOOK job: BUILD clones the branch into a fresh workspace,
/// reads the build spec and runs its phases with bash; DEPLOY takes the artifacts as the job's output;
/// VERIFY checks it. The workspace and every process the build started are gone when it ends.
struct RealBuild: Sendable {
    /// The build spec file looked for in the repository when neither the branch nor the app has one.
    static let buildSpecFiles = ["amplify.yml", "amplify.yaml"]

    let progress: JobProgress
    let job: Job
    let store: any Store
    let configuration: BuildRunner.Configuration
    let context: BuildRunner.Context
    /// How this machine holds the build's commands (the sandbox, a PID namespace).
    let isolation: Isolation
    /// Who the build's commands run as: a user of its own when the server is root, else the server's user (nil).
    let runAs: ProcessUser?

    static let machineCPUs = ProcessInfo.processInfo.activeProcessorCount

    /// Returns whether the job was deleted while it ran.
    func run() async -> Bool {
        let run = UUID().uuidString.lowercased()
        let workspace = self.context.files.workspace(run)
        let marker = Self.marker(self.context.files, run: run)
        let limits = Limits()
        return await self.progress.run(cleanup: {
            // In a PID namespace the kernel has ended every process of the build with its shell; else
            // the processes that left the process group are found by their marker.
            if self.isolation.containment == .processGroup && self.isolation.sandbox == nil { self.context.launcher.killMarked(marker, prefix: false) }
            // The control group holds whatever the namespace did not (and holds it where there is no namespace).
            let cgroup = limits.cgroup.withLock { $0 }
            cgroup?.kill()
            cgroup?.remove()
            if let container = limits.container.withLock({ $0 }), let complaint = await container.remove(launcher: self.context.launcher) {
                // Its workspace stays: the next start finds it, and removes the container by its label.
                self.progress.logger.warning("A build's container could not be removed", metadata: ["container": "\(container.name)", "reason": "\(complaint)"])
                return
            }
            SiteFiles.remove(workspace)
        }) {
            try await self.build(in: workspace, run: run, marker: marker, limits: limits)
        }
    }

    /// The control group a build made, and its container (removed when it ends, however it ends).
    private final class Limits: Sendable {
        let cgroup = Mutex<ControlGroup?>(nil)
        let container = Mutex<BuildContainer?>(nil)
    }

    /// The marker every process of a build carries; the part before `#` is shared by all builds of this
    /// server's workspaces folder.
    static func marker(_ files: JobFiles, run: String) -> String {
        "\(files.builds.path)#\(run)"
    }

    private func build(in workspace: URL, run: String, marker: String, limits: Limits) async throws {
        let key = self.job.key
        let (app, branch) = try await self.appAndBranch()
        let secrets = try await self.secrets()
        let log = BuildLog(step: "BUILD", progress: self.progress, limit: self.configuration.maxLogBytes, redacting: Array(secrets.values))
        try await self.progress.begin("BUILD", log: "Starting build of job \(key.jobId) for branch \(key.branchName).")
        let buildEnvironment = BuildEnvironment(app: app, branch: branch)
        let variables = buildEnvironment.console
        let timeout = buildEnvironment.timeoutMinutes
        let home = workspace.appending(path: "home", directoryHint: .isDirectory)
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let runner = LoggedProcessRunner(
            launcher: self.context.launcher, log: log, progress: self.progress, marker: marker, grace: self.configuration.terminationGrace,
            deadline: ContinuousClock.now + .milliseconds(Int(timeout * 60_000)),
            timeoutReason: "The build timed out after \(buildEnvironment.timeoutText) minutes (_BUILD_TIMEOUT)."
        )
        guard let repository = app.repository, !repository.isEmpty else {
            throw JobProgress.Interruption.failed("The app has no repository to build.")
        }
        let container = try await self.container(variables, workspace: workspace, run: run, repository: repository, runner: runner)
        limits.container.withLock { $0 = container }
        let sizing = self.size(app, run: run, limits: limits, container: container, log: log)
        let repositoryFolder = container?.repositoryFolder ?? workspace.appending(path: "repository", directoryHint: .isDirectory)

        // Clone.
        let checkout = GitCheckout(
            repository: repository, branchName: key.branchName, ref: branch.pullRequest?.ref, commitId: self.job.commitId,
            environment: self.context.hostEnvironment, sources: self.context.sources
        )
        let commit = try await checkout.clone(into: repositoryFolder, in: workspace, runner: runner)
        try await self.progress.record(commitId: commit.id, message: commit.message, time: commit.time)

        var (spec, detection) = try await self.buildSpec(app: app, branch: branch, repository: repositoryFolder, log: log, variables: variables)
        let (appRoot, buildFolder) = try Self.folders(of: spec, in: repositoryFolder, log: log)
        let nvmDirectory = home.appending(path: ".nvm", directoryHint: .isDirectory)
        let prelude = try self.prelude(variables, nvmDirectory: nvmDirectory, container: container, log: log)
        var environment = buildEnvironment.variables(
            specVariables: spec.variables, builtIns: buildEnvironment.builtIns(app: app, branch: branch, jobId: key.jobId, commit: commit.id),
            place: container == nil ? .host(home: home.path, hostPath: self.context.hostEnvironment["PATH"]) : .image
        )
        try self.complete(&environment, nvmDirectory: container == nil ? nvmDirectory : nil, secrets: secrets, workspace: workspace, log: log)
        if NextStandaloneOutput.wantsStandalone(platform: app.platform, baseDirectory: spec.artifactsBaseDirectory, detected: detection?.framework) {
            Self.askForStandalone(&environment, log: log)
        }
        try await self.runPhases(spec, appRoot: buildFolder, prelude: prelude, environment: environment, workspace: workspace, runner: runner, sizing: sizing)
        let customHttp = try await self.customHttp(spec, repository: repositoryFolder, variables: variables, log: log)
        if let detection { spec.artifactsBaseDirectory = try await Self.output(of: detection, in: appRoot, log: log) }
        let nextOutput = try await self.nextOutput(spec, app: app, repository: repositoryFolder, log: log)
        await log.close()
        if !spec.testPhases.isEmpty {
            try await self.test(spec, appRoot: appRoot, prelude: prelude, environment: environment, workspace: workspace, runner: runner, sizing: sizing)
        }
        try await self.deploy(spec, app: app, branch: branch, repository: repositoryFolder, workspace: workspace, customHttp: customHttp, next: nextOutput)
    }

    /// The job's secret values, opened; a job whose app is gone was deleted.
    private func secrets() async throws -> [String: String] {
        do {
            return try await self.context.secrets(self.job.key)
        } catch let error as AmplifyError where error.code == .notFound {
            throw JobProgress.Interruption.deleted
        } catch {
            throw JobProgress.Interruption.failed("The app's secrets could not be read: \(error)")
        }
    }

    /// What the build gets of the machine (its compute type's size, in a control group of its own where one can be
    /// made), said in its log.
    private func size(_ app: App, run: String, limits: Limits, container: BuildContainer?, log: BuildLog) -> Sizing {
        let resources = BuildResources(app.jobConfig.buildComputeType, machineCPUs: Self.machineCPUs, memoryCap: self.configuration.memoryCap)
        let processLimit = self.context.launcher.processLimit
        if let container {
            log.info("# Build size: \(resources.description); memory, CPUs and processes (at most \(processLimit.maximum), --build-max-processes) limited by podman.")
            log.info(container.description)
            return Sizing(resources: resources, cgroup: nil, machineCPUs: Self.machineCPUs, processLimit: processLimit, container: container)
        }
        let cgroup = ControlGroup.make(
            run: run, memoryBytes: resources.memoryBytes, cpus: resources.cpus, machineCPUs: Self.machineCPUs, processLimit: processLimit
        )
        limits.cgroup.withLock { $0 = cgroup }
        let memoryBy = cgroup != nil ? "a control group" : "an rlimit (RLIMIT_DATA; no control group could be made)"
        log.info("# Build size: \(resources.description); memory limited by \(memoryBy), CPUs by affinity.")
        log.info("# Processes: \(self.processLimitDescription(cgroup: cgroup)).")
        let sandbox = self.isolation.sandbox
        log.info("# Sandbox: \(sandbox != nil ? "bubblewrap" : "none") (\(self.isolation.sandboxReason))\(sandbox?.network == false ? ", no network" : "").")
        return Sizing(resources: resources, cgroup: cgroup, machineCPUs: Self.machineCPUs, processLimit: processLimit)
    }

    /// The build's container, where it runs in one (`--build-runtime`, `_CUSTOM_IMAGE`), with its image ready; nil
    /// for a build on the host. A build that must run in an image it cannot have fails.
    private func container(
        _ variables: [String: String], workspace: URL, run: String, repository: String, runner: LoggedProcessRunner
    ) async throws -> BuildContainer? {
        let launcher = self.context.launcher
        let placement = await self.isolation.buildRuntime.placement(customImage: variables["_CUSTOM_IMAGE"], defaultImage: self.configuration.image) {
            let podman = await launcher.containers
            return podman.runtime == nil ? podman.reason : nil
        }
        switch placement {
        case .host(let note):
            if let note { runner.log.line(note, level: .warning) }
            return nil
        case .refused(let reason):
            throw JobProgress.Interruption.failed(reason)
        case .container(let image, let source):
            guard let runtime = await launcher.containers.runtime else { return nil }
            let key = self.job.key
            let container = BuildContainer(
                runtime: runtime, image: image, source: source, workspace: workspace, run: run, repository: repository,
                cacheFolder: self.context.files.cache(key.scope, appId: key.appId, branchName: key.branchName).deletingLastPathComponent(),
                nodeVersions: self.configuration.nodeVersions, owner: self.context.files.builds.path
            )
            try await container.prepare(runner: runner)
            return container
        }
    }

    /// The build spec's app root and the folder its commands run in (`buildPath`), which must be folders of the
    /// repository; the spec's deprecated parts warned of.
    private static func folders(of spec: BuildSpec, in repositoryFolder: URL, log: BuildLog) throws -> (appRoot: URL, buildFolder: URL) {
        let appRoot = repositoryFolder.appending(path: spec.appRoot, directoryHint: .isDirectory)
        guard Self.isDirectory(appRoot) else {
            throw JobProgress.Interruption.failed("The build spec's appRoot \(spec.appRoot) is not a folder of the repository.")
        }
        let buildFolder = repositoryFolder.appending(path: spec.workingDirectory, directoryHint: .isDirectory)
        guard Self.isDirectory(buildFolder) else {
            throw JobProgress.Interruption.failed("The build spec's buildPath \(spec.workingDirectory) is not a folder of the repository.")
        }
        if spec.buildPath != nil { log.info("# Running the commands in \(spec.workingDirectory) (buildPath); artifacts are read from there.") }
        if let specHeaders = spec.customHeaders {
            let use = specHeaders.problem.map { "they are not used: \($0)" } ?? "they apply only when there is no customHttp.yml"
            log.line("customHeaders in the build spec are deprecated: put them in customHttp.yml at the repository's root, or the app's customHeaders (\(use)).", level: .warning)
        }
        return (appRoot, buildFolder)
    }

    /// The build image's commands before the phases: nvm over --node-versions (installed in `nvmDirectory`), the
    /// backend helpers, `_LIVE_UPDATES` (the app's or branch's variable; AWS does not read it from the build spec's env).
    private func prelude(_ variables: [String: String], nvmDirectory: URL, container: BuildContainer?, log: BuildLog) throws -> [String] {
        let image = BuildImageShell(configuration: self.configuration)
        try image.install(in: nvmDirectory, versionsPath: container.map { _ in BuildContainer.nodeVersionsPath })
        let prelude: [String]
        do {
            prelude = try image.prelude(liveUpdates: variables["_LIVE_UPDATES"], inImage: container?.path(of: nvmDirectory))
        } catch {
            throw JobProgress.Interruption.failed(error.message)
        }
        log.info(image.description)
        return prelude
    }

    /// What the build's environment gets besides its variables: nvm's folder, the secrets (as on AWS: one variable,
    /// `secrets`, a JSON object of name → value), and without a sandbox (no private /tmp) a temporary folder of the
    /// build's own for the tools that honour TMPDIR.
    private func complete(
        _ environment: inout [String: String], nvmDirectory: URL?, secrets: [String: String], workspace: URL, log: BuildLog
    ) throws {
        if let nvmDirectory { environment["NVM_DIR"] = nvmDirectory.path }
        if !secrets.isEmpty {
            environment["secrets"] = String(decoding: try JSONSerialization.data(withJSONObject: secrets, options: [.sortedKeys]), as: UTF8.self)
            log.info("# \(secrets.count) secrets are in the secrets environment variable (JSON); their values are hidden in the logs.")
        }
        if self.isolation.sandbox == nil, nvmDirectory != nil {
            let temporary = workspace.appending(path: "tmp", directoryHint: .isDirectory)
            try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
            environment["TMPDIR"] = temporary.path
        }
    }

    /// As Amplify did: Next.js's own switch for `.next/standalone`, unless the app or branch set it.
    private static func askForStandalone(_ environment: inout [String: String], log: BuildLog) {
        if let own = environment[NextStandaloneOutput.variable] {
            log.info("# \(NextStandaloneOutput.variable) is set by the app or branch (\(own.isEmpty ? "empty" : own)): kept.")
        } else {
            environment[NextStandaloneOutput.variable] = "true"
            log.info(NextStandaloneOutput.settingLine)
        }
    }

    /// The output folder of the framework detected that the build made.
    private static func output(of detection: FrameworkDetection, in appRoot: URL, log: BuildLog) async throws -> String {
        guard let output = detection.outputCandidates.first(where: { Self.isDirectory(appRoot.appending(path: $0, directoryHint: .isDirectory)) }) else {
            await log.close()
            throw JobProgress.Interruption.failed(
                "The build ran, but none of the output folders \(detection.framework) builds into was made (\(detection.outputCandidates.joined(separator: ", "))): add an amplify.yml with artifacts.baseDirectory."
            )
        }
        return output
    }

    /// A compute app's Next.js output (artifacts `.next` without a `deploy-manifest.json` of the app's own), read where
    /// Amplify reads it: at the end of BUILD, whose log gets AWS's `!!! CustomerError:` line when it cannot be deployed.
    /// Nil for any other output.
    private func nextOutput(_ spec: BuildSpec, app: App, repository: URL, log: BuildLog) async throws -> NextStandaloneOutput.Output? {
        guard let base = spec.artifactsBaseDirectory, NextStandaloneOutput.isNextFolder(base) else { return nil }
        guard app.platform != .web else {
            log.line(
                "\(base) is a Next.js build output, and the app's platform is WEB: it is deployed as static files. Set the app's platform to WEB_COMPUTE for server-side rendering.",
                level: .warning
            )
            return nil
        }
        let folder: URL
        do {
            folder = try ArtifactCollector.baseFolder(spec.workingDirectory + "/" + base, in: repository)
        } catch {
            await log.close()
            throw error
        }
        guard ComputeBundle.find(in: folder) == nil else { return nil }
        let name = Self.relativeName(spec.workingDirectory, base)
        do {
            let output = try NextStandaloneOutput.inspect(folder, named: name)
            if case .server(let server) = output {
                log.info("# Next.js \(server.nextVersion) server build: \(name)/standalone/\(server.entrypoint) is the compute's entrypoint.")
            }
            return output
        } catch {
            log.line("!!! CustomerError: \(error.message)", level: .error)
            await log.close()
            throw JobProgress.Interruption.failed(error.message)
        }
    }

    /// `workingDirectory`/`base` as the log names it (`.next`, `apps/web/.next`).
    static func relativeName(_ workingDirectory: String, _ base: String) -> String {
        (workingDirectory.split(separator: "/") + base.split(separator: "/")).filter { $0 != "." }.joined(separator: "/")
    }

    /// Runs the build spec's build phases in one bash, with the cache restored first and saved after; a command
    /// that fails (or a stop, a timeout) ends the build. The log stays open after them (closed when they fail).
    private func runPhases(
        _ spec: BuildSpec, appRoot: URL, prelude: [String], environment: [String: String], workspace: URL, runner: LoggedProcessRunner, sizing: Sizing
    ) async throws {
        let key = self.job.key
        let cacheFile = self.context.files.cache(key.scope, appId: key.appId, branchName: key.branchName)
        try? FileManager.default.createDirectory(at: cacheFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        if let user = self.runAs {
            // The build's own: no other build (another user) can read its workspace.
            user.own(workspace)
            chmod(workspace.path, 0o700)
            user.own(cacheFile.deletingLastPathComponent())
        }
        // The last build of the branch may have run on another node.
        if await self.context.files.fetchCache(cacheFile) { self.runAs?.own(cacheFile) }
        let control = workspace.appending(path: "control", directoryHint: .notDirectory)
        let script = BuildScript(
            phases: spec.phases, appRoot: sizing.path(of: appRoot), controlFile: sizing.path(of: control), prelude: prelude,
            cacheFile: sizing.path(of: cacheFile), cachePaths: spec.cachePaths
        )
        if let failure = try await self.run(script, name: "build", control: control, appRoot: appRoot, environment: environment, workspace: workspace, runner: runner, sizing: sizing) {
            runner.log.line("!!! Build failed", level: .error)
            runner.log.line("!!! Error: \(failure)", level: .error)
            await runner.log.close()
            throw JobProgress.Interruption.failed(failure)
        }
        runner.log.info("## Build completed successfully")
        await self.context.files.shareCache(cacheFile, log: runner.log)
    }

    /// `customHttp.yml`, read where AWS reads it: after the build phases and caching, before the artifact upload (so a
    /// file the build writes counts), with AWS's lines in the BUILD log; else the build spec's deprecated headers.
    /// Nil when the app's own `customHeaders` apply.
    private func customHttp(_ spec: BuildSpec, repository: URL, variables: [String: String], log: BuildLog) async throws -> CustomHttpFile? {
        let monorepoAppRoot = MonorepoAppRoot.of(variables)
        let file: CustomHttpFile?
        do {
            file = try CustomHttpFile.read(repository: repository, appRoot: spec.appRoot, monorepoAppRoot: monorepoAppRoot)
        } catch {
            for line in error.lines.isEmpty ? ["!!! \(error.message)"] : error.lines { log.line(line, level: .error) }
            await log.close()
            throw JobProgress.Interruption.failed(error.message)
        }
        guard let file else {
            if let headers = spec.customHeaders?.headers, headers.customHeaders != nil {
                log.info("# Custom headers from the build spec's customHeaders (deprecated): they replace the app's customHeaders for this deployment.")
                Self.warnUnservable(headers, log: log)
                return headers
            }
            log.info("# No custom headers found.")
            return nil
        }
        guard file.customHeaders != nil else {
            log.info(CustomHttpFile.notAListLine)
            return nil
        }
        let source = monorepoAppRoot.map { "\(file.path) at the repository's root (its application with appRoot \($0))" } ?? file.path
        log.info("# Custom headers from \(source): they replace the app's customHeaders for this deployment.")
        Self.warnUnservable(file, log: log)
        return file
    }

    private static func warnUnservable(_ file: CustomHttpFile, log: BuildLog) {
        for name in file.unservable {
            log.line("Custom header \(name) in \(file.path) has a line break in its value: it deploys, and the paths it matches answer 502 (as on AWS).", level: .warning)
        }
    }

    /// TEST: the build spec's test phases in a bash of their own, with their own log; then the test artifacts are
    /// collected (also when a test failed: a failing run's screenshots are the ones wanted) and recorded. A command
    /// that fails fails the job, and nothing is deployed.
    private func test(
        _ spec: BuildSpec, appRoot: URL, prelude: [String], environment: [String: String], workspace: URL, runner build: LoggedProcessRunner, sizing: Sizing
    ) async throws {
        try await self.progress.begin("TEST", log: "Starting the test phases (\(spec.testPhases.map(\.name).joined(separator: ", "))).")
        let log = BuildLog(step: "TEST", progress: self.progress, limit: self.configuration.maxLogBytes, redacting: build.log.redacted)
        let runner = LoggedProcessRunner(
            launcher: build.launcher, log: log, progress: self.progress, marker: build.marker, grace: build.grace, deadline: build.deadline, timeoutReason: build.timeoutReason
        )
        let control = workspace.appending(path: "test-control", directoryHint: .notDirectory)
        let script = BuildScript(phases: spec.testPhases, appRoot: sizing.path(of: appRoot), controlFile: sizing.path(of: control), prelude: prelude)
        let failure = try await self.run(script, name: "test", control: control, appRoot: appRoot, environment: environment, workspace: workspace, runner: runner, sizing: sizing)
        await log.flush()
        if let artifacts = spec.testArtifacts {
            let collected = try TestArtifactCollector(
                spec: artifacts, appRoot: appRoot, files: self.context.files.sites, key: self.job.key,
                staging: workspace.appending(path: "test-artifacts", directoryHint: .isDirectory)
            ).collect()
            for note in collected.notes { try await self.progress.log("TEST", note) }
            do {
                try await self.context.files.sites.shareTestArtifacts(self.job.key)
            } catch {
                throw JobProgress.Interruption.failed("The test artifacts could not be stored in the object store: \(error)")
            }
            do {
                try await self.store.recordTestArtifacts(self.job.key, collected.artifacts)
            } catch let error as AmplifyError where error.code == .notFound {
                throw JobProgress.Interruption.deleted
            }
        }
        if let failure {
            log.line("!!! Test failed", level: .error)
            log.line("!!! Error: \(failure)", level: .error)
            await log.close()
            throw JobProgress.Interruption.failed(failure)
        }
        log.info("## Test completed successfully")
        await log.close()
    }

    /// What a build gets of the machine, and how it is held to it.
    struct Sizing: Sendable {
        var resources: BuildResources
        var cgroup: ControlGroup?
        var machineCPUs: Int
        var processLimit: ProcessLimit
        /// The container the build runs in, nil on the host.
        var container: BuildContainer? = nil

        /// Where the build's commands see `url`.
        func path(of url: URL) -> String {
            self.container?.path(of: url) ?? url.path
        }

        /// The process limit the build's shell gets as `RLIMIT_NPROC`: none where the control group's `pids.max`
        /// holds it (the control group then is the one that refuses, and says so in `pids.events`).
        var processRlimit: ProcessLimit? {
            self.cgroup?.processEvents != nil ? nil : self.processLimit
        }

        /// Words before the build's shell: join the control group, keep to the build's CPUs (so `nproc` says how
        /// many), and without a control group an rlimit on memory.
        var prefix: [String] {
            var words = self.cgroup?.joinCommand ?? []
            if self.resources.cpus < self.machineCPUs { words += ["taskset", "-c", "0-\(self.resources.cpus - 1)"] }
            if self.cgroup == nil, BuildTools.exists("prlimit", path: nil) {
                words += ["prlimit", "--data=\(self.resources.memoryBytes):\(self.resources.memoryBytes)", "--"]
            }
            return words
        }
    }

    /// Runs one step's script as the build's user, sized and in the sandbox; returns why it failed, or nil when it ran
    /// every command.
    private func run(
        _ script: BuildScript, name: String, control: URL, appRoot: URL, environment: [String: String], workspace: URL, runner: LoggedProcessRunner,
        sizing: Sizing
    ) async throws -> String? {
        let scriptFile = workspace.appending(path: "\(name).sh", directoryHint: .notDirectory)
        try script.text.write(to: scriptFile, atomically: false, encoding: .utf8)
        if let user = self.runAs { user.own(scriptFile) }
        let outcome: ProcessOutcome
        let killedForMemory: Bool
        let reachedProcessLimit: Bool
        if let container = sizing.container {
            let (command, report) = try container.command(
                step: name, script: scriptFile, environment: environment, workingDirectory: appRoot, sizing: sizing, runAs: self.runAs,
                network: self.isolation.network, marker: runner.marker, log: runner.log
            )
            outcome = try await runner.run(command)
            let counted = BuildContainer.report(report)
            (killedForMemory, reachedProcessLimit) = (counted.killedForMemory, counted.reachedProcessLimit)
        } else {
            outcome = try await runner.run(self.hostCommand(scriptFile, appRoot: appRoot, environment: environment, workspace: workspace, marker: runner.marker, sizing: sizing))
            (killedForMemory, reachedProcessLimit) = (sizing.cgroup?.killedForMemory == true, sizing.cgroup?.reachedProcessLimit == true)
        }
        let reached = (try? String(contentsOf: control, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let failure = Self.failure(outcome, reached: reached, commands: script.commands)
        if let failure, killedForMemory {
            return "\(sizing.resources.outOfMemoryReason) (\(failure))"
        }
        if reachedProcessLimit {
            if let failure { return "\(sizing.processLimit.reachedReason) (\(failure))" }
            runner.log.line(sizing.processLimit.reachedReason, level: .warning)
        }
        return failure
    }

    /// The build shell of a step on the host: as the build's user, sized, in the sandbox (or the containment there is).
    private func hostCommand(_ scriptFile: URL, appRoot: URL, environment: [String: String], workspace: URL, marker: String, sizing: Sizing) -> ProcessCommand {
        let files = self.context.files
        let key = self.job.key
        let containment = self.isolation.sandbox.map { sandbox in
            ProcessContainment.sandbox(
                sandbox,
                writable: [workspace.path, files.cache(key.scope, appId: key.appId, branchName: key.branchName).deletingLastPathComponent().path],
                readOnly: self.configuration.nodeVersions.map { [$0] } ?? [],
                hidden: [files.root.path, files.builds.path, files.cacheRoot.path], workingDirectory: appRoot.path
            )
        } ?? self.isolation.containment
        var command = ProcessCommand(
            "bash", ["--noprofile", "--norc", scriptFile.path], environment: environment, workingDirectory: appRoot.path, marker: marker
        )
        (command.containment, command.runAs, command.prefix, command.processLimit) = (containment, self.runAs, sizing.prefix, sizing.processRlimit)
        return command
    }

    /// How the build's processes are limited, for its log: `at most 2048 processes and threads
    /// (--build-max-processes), by a control group (pids.max)`.
    private func processLimitDescription(cgroup: ControlGroup?) -> String {
        let limit = self.context.launcher.processLimit
        let containment = self.isolation.sandbox.map { ProcessContainment.sandbox($0, writable: [], hidden: [], workingDirectory: "/") } ?? self.isolation.containment
        let by: String
        if cgroup?.processEvents != nil {
            by = "a control group (pids.max)"
        } else if containment.countsOwnProcesses(runAs: self.runAs) && ProcessLimit.rlimitAvailable {
            by = "RLIMIT_NPROC"
        } else {
            return "not limited: --build-max-processes (\(limit.maximum)) needs a control group (a server run as root) or a user namespace of the build's own, and the server is not root and makes no user namespaces"
        }
        return "at most \(limit.maximum) processes and threads (--build-max-processes), by \(by)"
    }

    /// DEPLOY: the artifacts become the job's site, which goes live; VERIFY looks at it.
    private func deploy(
        _ spec: BuildSpec, app: App, branch: Branch, repository repositoryFolder: URL, workspace: URL, customHttp: CustomHttpFile?,
        next: NextStandaloneOutput.Output?
    ) async throws {
        let site = self.context.files.sites.site(self.job.key)
        if let headers = customHttp?.customHeaders {
            let file = self.context.files.sites.deploymentHeaders(self.job.key)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try headers.write(to: file, atomically: true, encoding: .utf8)
        }
        try await self.progress.begin("DEPLOY", log: "# Starting build artifact upload process...")
        guard var base = spec.artifactsBaseDirectory else {
            try await self.progress.log("DEPLOY", "The build spec has no frontend artifacts: nothing to deploy.")
            try await self.progress.begin("VERIFY", log: "No artifacts to verify.")
            return
        }
        var baseFolder = try ArtifactCollector.baseFolder(spec.workingDirectory + "/" + base, in: repositoryFolder)
        switch next {
        case .server(let output)?:
            return try await self.deployNextServer(output, to: site, workspace: workspace, customHttp: customHttp)
        case .staticExport(let folder)?:
            // `out/` beside `.next`, named as the artifacts are (relative to the working directory).
            let export = (base.split(separator: "/").filter { $0 != "." }.dropLast() + [Substring(folder.lastPathComponent)]).joined(separator: "/")
            try await self.progress.log(
                "DEPLOY",
                "# \(base) has no server output (no required-server-files.json, or output: 'export'): the static export in \(export) is deployed as static files (\(NextStandaloneOutput.exportFramework))."
            )
            base = export
            baseFolder = folder
        case nil:
            break
        }
        if NextStandaloneOutput.isNextApp(baseFolder.deletingLastPathComponent()), next != nil || baseFolder.lastPathComponent == "out" {
            let key = self.job.key
            _ = try? await self.store.updateBranch(key.scope, appId: key.appId, branchName: key.branchName) { branch in
                if branch.framework?.isEmpty ?? true { branch.framework = NextStandaloneOutput.exportFramework }
            }
        }
        if app.platform != .web, next == nil, try await self.deployComputeBundle(in: baseFolder, named: base, app: app, to: site, customHttp: customHttp) {
            return
        }
        let collected = try ArtifactCollector(
            base: baseFolder, baseName: base,
            patterns: spec.artifactFiles.map(FileGlob.init), discardPaths: spec.discardPaths
        ).collect(into: site)
        for note in collected.notes { try await self.progress.log("DEPLOY", note) }
        if let customHttp { try await self.progress.log("DEPLOY", "Custom headers: \(customHttp.path).") }
        try await self.progress.log("DEPLOY", "# Build artifact upload completed: \(collected.files) files (\(collected.bytes) bytes) from \(base)")
        try await self.progress.publish("# Deploying the artifacts as the branch's site...")
        try await self.progress.verify(site)
    }

    /// A Next.js server's standalone output, assembled as Amplify's adapter does, deployed with its compute.
    private func deployNextServer(
        _ output: NextStandaloneOutput, to site: URL, workspace: URL, customHttp: CustomHttpFile?
    ) async throws {
        let staging = workspace.appending(path: "next-deployment", directoryHint: .isDirectory)
        do {
            try output.assemble(into: staging)
        } catch {
            try await self.progress.log("DEPLOY", "[ERROR]: \(error.message)")
            throw JobProgress.Interruption.failed(error.message)
        }
        if let customHttp { try await self.progress.log("DEPLOY", "Custom headers: \(customHttp.path).") }
        try await ComputeBundle.deploy(
            staging, named: output.name, to: site, progress: self.progress, framework: NextStandaloneOutput.framework,
            generated: "the Next.js standalone output in \(output.name) (\(output.name)/standalone, \(output.name)/static, public/)",
            startCompute: self.context.startCompute
        )
    }

    /// An SSR app's deployment bundle (`deploy-manifest.json` in the artifacts or their `.amplify-hosting/`), deployed
    /// with its computes; false when there is none (the artifacts are then served as static files, as the log warns).
    private func deployComputeBundle(in baseFolder: URL, named base: String, app: App, to site: URL, customHttp: CustomHttpFile?) async throws -> Bool {
        guard let bundle = ComputeBundle.find(in: baseFolder) else {
            try await self.progress.log(
                "DEPLOY", "[WARNING]: No deploy-manifest.json in \(base) or its .amplify-hosting/: the \(app.platform.rawValue) app's artifacts are served as static files."
            )
            return false
        }
        let relative = bundle.lastPathComponent == ".amplify-hosting" ? "\(base)/.amplify-hosting" : base
        if let customHttp { try await self.progress.log("DEPLOY", "Custom headers: \(customHttp.path).") }
        try await ComputeBundle.deploy(bundle, named: relative, to: site, progress: self.progress, startCompute: self.context.startCompute)
        return true
    }

    private func appAndBranch() async throws -> (App, Branch) {
        do {
            let key = self.job.key
            return (try await self.store.app(key.scope, appId: key.appId), try await self.store.branch(key.scope, appId: key.appId, branchName: key.branchName))
        } catch let error as AmplifyError where error.code == .notFound {
            throw JobProgress.Interruption.deleted
        }
    }

    /// The build spec, as Core's `BuildSpecChoice` picks it (with the detection when there is none, whose output
    /// folder is known once the build ran).
    private func buildSpec(
        app: App, branch: Branch, repository: URL, log: BuildLog, variables: [String: String]
    ) async throws -> (BuildSpec, FrameworkDetection?) {
        let file = Self.buildSpecFiles.first { FileManager.default.fileExists(atPath: repository.appending(path: $0).path) }
        let choice = BuildSpecChoice.of(branchSpec: branch.buildSpec, repositoryFile: file, appSpec: app.buildSpec)
        let text: String
        switch choice {
        case .branch:
            text = branch.buildSpec ?? ""
        case .repository(let file, _):
            guard let contents = try? String(contentsOf: repository.appending(path: file), encoding: .utf8) else {
                throw JobProgress.Interruption.failed("\(file) in the repository is not UTF-8 text.")
            }
            text = contents
        case .app:
            text = app.buildSpec ?? ""
        case .detection:
            let (spec, detection) = try await self.detect(in: repository, platform: app.platform, branch: branch, log: log, variables: variables)
            return (spec, detection)
        }
        let source = choice.source
        log.info("# Using the build spec from \(source).")
        let spec: BuildSpec
        do {
            spec = try BuildSpec(yaml: text, monorepoAppRoot: variables["AMPLIFY_MONOREPO_APP_ROOT"])
        } catch {
            throw JobProgress.Interruption.failed("Invalid build spec (\(source)): \(error.message)")
        }
        for warning in spec.warnings { log.line(warning, level: .warning) }
        return (spec, nil)
    }

    /// No build spec anywhere: the framework is detected (in `AMPLIFY_MONOREPO_APP_ROOT`'s folder when set), said in
    /// the log, and written to the branch's `framework` when that is empty.
    private func detect(
        in repository: URL, platform: Platform, branch: Branch, log: BuildLog, variables: [String: String]
    ) async throws -> (BuildSpec, FrameworkDetection) {
        let appRoot = variables["AMPLIFY_MONOREPO_APP_ROOT"].map { $0.split(separator: "/").joined(separator: "/") } ?? ""
        guard !appRoot.split(separator: "/").contains("..") else {
            throw JobProgress.Interruption.failed("AMPLIFY_MONOREPO_APP_ROOT \(appRoot) must be a relative path inside the repository.")
        }
        let path = variables["PATH"] ?? self.context.hostEnvironment["PATH"]
        let detection: FrameworkDetection
        do {
            let folder = appRoot.isEmpty ? repository : repository.appending(path: appRoot, directoryHint: .isDirectory)
            detection = try FrameworkDetection.detect(in: folder, platform: platform) {
                BuildTools.exists($0, path: path)
            }
        } catch {
            throw JobProgress.Interruption.failed(error.message)
        }
        log.info("# No build spec: the branch and the app have no buildSpec, and the repository has no amplify.yml.")
        log.info("# Detected \(detection.framework) from \(detection.evidence).")
        log.info(detection.commands.isEmpty ? "# Nothing to build: the repository is deployed as it is." : "# Building with: \(detection.commands.joined(separator: " && ")).")
        if branch.framework?.isEmpty ?? true {
            let key = self.job.key
            _ = try? await self.store.updateBranch(key.scope, appId: key.appId, branchName: key.branchName) { branch in
                if branch.framework?.isEmpty ?? true { branch.framework = detection.framework }
            }
        }
        var spec = detection.spec
        spec.appRoot = appRoot.isEmpty ? "." : appRoot
        return (spec, detection)
    }

    /// Why the build shell's end fails the build, or nil when it ran every command.
    static func failure(_ outcome: ProcessOutcome, reached: String, commands: [(phase: String, command: String)]) -> String? {
        let current = Int(reached).flatMap { commands.indices.contains($0) ? commands[$0] : nil }
        let at = current.map { " in \($0.phase): \($0.command)" }
            ?? ["cache": " while saving the cache", "prelude": " while applying _LIVE_UPDATES"][reached] ?? ""
        switch outcome {
        case .exited(0):
            return reached == "done" ? nil : "The build shell exited early (exit code 0)\(at); the commands after it did not run."
        case .exited(let code):
            return "Command failed with exit code \(code)\(at)"
        case .signaled(let signal):
            return "Command was killed by signal \(signal)\(at)"
        case .stopped(let reason):
            return reason
        }
    }

    static func isDirectory(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
