import AmplifyCore

/// A program to run and how it is held: its environment and folder, the containment its processes are kept in (a
/// process group, a PID namespace, the bubblewrap sandbox), the user it runs as, its process limit, and words before
/// all of that (joining a control group, CPU affinity, a network namespace) run with the server's rights.
///
/// Every process carries `AMPLIFY_LOCAL_BUILD=<marker>` in its environment when it has a marker, which finds the ones
/// that left the process group (`setsid`) when no namespace holds them (`ProcessTable.killMarked`).
public struct ProcessCommand: Sendable {
    public static let markerVariable = "AMPLIFY_LOCAL_BUILD"

    public var executable: String
    public var arguments: [String]
    public var environment: [String: String]
    public var workingDirectory: String
    public var marker: String?
    public var containment: ProcessContainment = .processGroup
    /// The unprivileged user it runs as (a build's shell or a compute, when the server runs as root).
    public var runAs: ProcessUser? = nil
    /// Words before the containment's, run with the server's rights.
    public var prefix: [String] = []
    /// The most processes it may have (`RLIMIT_NPROC`, where that counts its own alone), nil for no limit of its own.
    public var processLimit: ProcessLimit? = nil
    /// Whether it is killed when the server ends, however it ends (`setpriv --pdeathsig`, asked for after the change
    /// of user, which clears it): for a long-lived process outside the sandbox, which dies with its parent anyway.
    public var endsWithServer = false
    /// What it reads on its standard input (nothing when nil).
    public var input: String? = nil

    public init(
        _ executable: String, _ arguments: [String] = [], environment: [String: String] = [:], workingDirectory: String = "/",
        marker: String? = nil
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.marker = marker
    }

    /// The whole command line: the prefix, the containment's words (with the process limit and the change of user
    /// inside them), then the program.
    public var commandLine: [String] {
        var command = [self.executable] + self.arguments
        if self.endsWithServer, !self.containment.isSandbox, let setpriv = Self.setpriv {
            command = [setpriv, "--pdeathsig", "KILL", "--"] + command
        }
        let (contained, arguments) = self.containment.wrap(command, runAs: self.runAs, processLimit: self.processLimit)
        return self.prefix + [contained] + arguments
    }

    /// Its environment with its marker.
    public var markedEnvironment: [String: String] {
        var variables = self.environment
        if let marker = self.marker { variables[Self.markerVariable] = marker }
        return variables
    }

    private static let setpriv = SearchPath.find("setpriv")
}
