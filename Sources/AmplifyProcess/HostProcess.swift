import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A long-lived process `HostProcessLauncher.start` started on this machine.
final class HostProcess: RunningProcess {
    let pid: Int32
    private let end = Mutex<String?>(nil)

    init(pid: Int32) {
        self.pid = pid
    }

    var ending: String? { self.end.withLock { $0 } }

    func ended(_ how: String) {
        self.end.withLock { $0 = how }
    }

    func signal(_ signal: Int32) {
        guard self.ending == nil else { return }
        let below = ProcessTable.descendants(of: self.pid)
        if signal == SIGKILL {
            for target in below + [self.pid] { kill(target, SIGKILL) }
            return
        }
        // The sandbox's own processes pass no signal on: the command's are the ones told.
        for target in below.isEmpty ? [self.pid] : below { kill(target, signal) }
    }
}
