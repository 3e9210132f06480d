@testable import AmplifyProcess
import Foundation
import Logging
import Synchronization
import Testing

/// The process layer without a server: output, exit codes, stopping, and the sweep for what they leave.
@Suite struct BuildProcessTests {
    final class Output: Sendable {
        let bytes = Mutex<[UInt8]>([])
        func append(_ chunk: [UInt8]) { self.bytes.withLock { $0 += chunk } }
        var text: String { String(decoding: self.bytes.withLock { $0 }, as: UTF8.self) }
    }

    let launcher = HostProcessLauncher(logger: Logger(label: "test"))

    func process(_ script: String, marker: String) -> ProcessCommand {
        ProcessCommand("bash", ["-c", script], environment: ["PATH": "/usr/bin:/bin"], workingDirectory: "/tmp", marker: marker)
    }

    /// Whether any process carries the marker in its environment.
    func running(_ marker: String) -> Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).contains { entry in
            guard Int(entry) != nil, let environ = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else { return false }
            return environ.split(separator: 0).contains { $0.elementsEqual(Array("AMPLIFY_LOCAL_BUILD=\(marker)".utf8)) }
        }
    }

    @Test func outputAndExitCodeComeBack() async throws {
        let output = Output()
        let outcome = try await launcher.run(process("echo out; echo err >&2; exit 7", marker: "test#\(UUID())"), output: output.append)
        #expect(outcome == .exited(7))
        #expect(output.text == "out\nerr\n")
        // Errors apart when asked (the log marks them [WARNING]).
        let errors = Output()
        let split = Output()
        _ = try await launcher.run(
            process("echo out; echo err >&2", marker: "test#\(UUID())"), grace: .seconds(5), output: split.append, errorOutput: errors.append,
            stopReason: { nil }
        )
        #expect(split.text == "out\n" && errors.text == "err\n")
    }

    @Test func aDaemonHoldingTheOutputDoesNotHoldTheProcessAndTheSweepEndsIt() async throws {
        let marker = "test#\(UUID())"
        let started = ContinuousClock.now
        let outcome = try await launcher.run(process("setsid sleep 300 & sleep 0.3; echo started", marker: marker), output: { _ in })
        #expect(outcome == .exited(0))
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(running(marker), "the setsid daemon left the process group, as it should for this test")
        #expect(launcher.killMarked(marker, prefix: false) >= 1)
        #expect(!running(marker))
    }

    @Test func stoppingEndsTheWholeProcessGroup() async throws {
        let marker = "test#\(UUID())"
        let output = Output()
        // Stopped once the trap is set (on a loaded machine bash may not have got that far when a stop comes at once).
        let outcome = try await launcher.run(
            process("trap 'echo got-term; exit 143' TERM; echo ready; sleep 300 & wait", marker: marker), grace: .milliseconds(500),
            output: output.append, stopReason: { output.text.contains("ready") ? "stopped by the test" : nil }
        )
        #expect(outcome == .stopped("stopped by the test"))
        #expect(output.text.contains("got-term"))
        #expect(!running(marker))
    }

    /// `RLIMIT_NPROC` is set inside the namespaces and before the change of user, and only where the kernel counts
    /// the build's processes alone (else it would count the whole session of the server's user).
    @Test func theProcessLimitIsSetInsideTheNamespaceBeforeTheChangeOfUser() throws {
        let limit = ProcessLimit(maximum: 100)
        guard ProcessLimit.rlimitAvailable else { return }
        let user = ProcessUser(uid: 2_100_000_001, gid: 2_100_000_001)
        let (unshare, words) = ProcessContainment.pidNamespace(asUser: false).wrap(["bash", "x.sh"], runAs: user, processLimit: limit)
        #expect(unshare == "unshare")
        let prlimit = try #require(words.firstIndex(of: "prlimit"))
        #expect(words[prlimit + 1] == "--nproc=100:100")
        #expect(try #require(words.firstIndex(of: "--fork")) < prlimit)
        #expect(prlimit < (try #require(words.firstIndex(of: "setpriv"))))
        // In a user namespace of its own (an unprivileged server) the rlimit counts the namespace's processes.
        let (_, userNamespace) = ProcessContainment.pidNamespace(asUser: true).wrap(["bash"], runAs: nil, processLimit: limit)
        #expect(userNamespace.contains("--nproc=100:100"))
        // As the server's own user with no user namespace: not set.
        for containment in [ProcessContainment.processGroup, .pidNamespace(asUser: false)] {
            let (executable, arguments) = containment.wrap(["bash"], runAs: nil, processLimit: limit)
            #expect(executable != "prlimit" && !arguments.contains("prlimit"))
        }
    }

    /// A build container's `podman run`: never pulled or logged by podman, root mapped to the build's user, memory with
    /// no swap beyond it, fewer CPUs pinned, the process limit as both `--pids-limit` and `RLIMIT_NPROC`.
    @Test func aContainerRunsWithItsLimitsAndMounts() {
        let runtime = ContainerRuntime(executable: "/usr/bin/podman", version: "4.3.1", storageDriver: "overlay", rootless: false, environment: [:])
        var run = ContainerRun(image: "img", name: "amplify-local-r-build")
        run.labels = [ContainerRuntime.ownerLabel: "/tmp/builds"]
        run.mounts = [.init(host: "/w", container: "/codebuild/output/src1"), .init(host: "/n", container: "/opt/n", readOnly: true)]
        run.workingDirectory = "/codebuild/output/src1/src/app"
        run.rootAs = ProcessUser(uid: 70000, gid: 70000)
        (run.memoryBytes, run.cpus, run.machineCPUs, run.processLimit, run.network) = (1 << 30, 1, 2, 512, false)
        run.command = ["bash", "-c", "true"]
        let arguments = run.arguments(runtime: runtime).joined(separator: " ")
        for expected in [
            "run --name amplify-local-r-build --pull never --log-driver none --network none --label amplify-local.builds=/tmp/builds",
            "--uidmap 0:70000:65536 --gidmap 0:70000:65536", "--memory 1073741824 --memory-swap 1073741824", "--cpus 1 --cpuset-cpus 0-0",
            "--pids-limit 512", "nproc=512:512", "--volume /w:/codebuild/output/src1 --volume /n:/opt/n:ro",
            "--workdir /codebuild/output/src1/src/app img bash -c true",
        ] {
            #expect(arguments.contains(expected), "\(expected) not in \(arguments)")
        }
        run.cpus = 2
        #expect(!run.arguments(runtime: runtime).contains("--cpuset-cpus"))
    }
}
