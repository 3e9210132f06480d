/// How jobs are built.
public enum BuildMode: String, Sendable, CaseIterable {
    /// Real builds for repositories on this machine, simulated builds for remote ones.
    case auto
    /// Every repository is cloned and built for real.
    case run
    /// No job runs anything: each walks its states on a timer, with a log that says so.
    case simulate
}
