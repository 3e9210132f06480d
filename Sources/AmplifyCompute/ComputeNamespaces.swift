import AmplifyCore
import AmplifyProcess
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Network namespaces for computes (util-linux's `unshare` and `nsenter`, iproute2's `ip`, as root): each compute
/// runs in one of its own, made for its process (`unshare --net`) and gone with it, with a veth pair to the server,
/// so that it listens on port 3000 as on AWS (Nitro's preset hard-codes it) while every branch runs at once. The
/// namespaces have no names: `ip netns add` would mount one under `/run/netns` for each, and a mount appearing or
/// going while bubblewrap copies the mount table fails the sandbox being made (a build's, or another compute's).
/// The pair's addresses are a /30 of the link-local 169.254.0.0/16 (not 169.254.169.0/24, where clouds keep their
/// metadata service), picked at random among those the machine does not route already. Each /30 also has an
/// `unreachable` route of a lower priority, used once the pair is gone or the compute's side is down, so a connection
/// to a compute that is ending fails at once here instead of waiting for a peer that is gone, or leaving through the
/// machine's default route (whatever answers there must never get a compute's request). The
/// links and routes carry a mark of the server's own (its data directory, and its node name where nodes share one):
/// a crashed server's are removed at its next start, and no other server's; its computes end with it (the sandbox
/// dies with its parent, and without one `node` is told to by `setpriv --pdeathsig`).
public final class ComputeNamespaces: Sendable {
    /// How computes are networked (`--compute-network`): `namespace` (required), `loopback` (the machine's
    /// 127.0.0.1 and a free `PORT`), or `auto` (a namespace where one can be made).
    public enum Mode: String, Sendable, CaseIterable {
        case auto, namespace, loopback
    }

    /// The namespaces this machine gives for `mode`, and why (said in the log when the first compute starts); nil
    /// for none. `namespace` is an error naming why when none can be made; `auto` falls back to none. The probe and
    /// the removal of what a crash left run `ip` several times: `auto`'s runs among the supervisor's tasks, and the
    /// server's start does not wait for it.
    static func resolve(_ mode: Mode, namespaces: ComputeNamespaces) async throws -> (ComputeNamespaces?, reason: String) {
        switch mode {
        case .loopback:
            return (nil, "--compute-network loopback")
        case .namespace:
            if let reason = await namespaces.unavailableReason() {
                throw ComputeSupervisor.StartFailure(description: "--compute-network namespace: \(reason)")
            }
            await namespaces.removeLeftovers()
            return (namespaces, "--compute-network namespace")
        case .auto:
            if let reason = await namespaces.unavailableReason() { return (nil, reason) }
            await namespaces.removeLeftovers()
            return (namespaces, "network namespaces can be made here")
        }
    }

    /// One compute's network: `address` is the compute's side of the pair, `hostInterface` the server's.
    struct Namespace: Sendable, Hashable {
        var slot: Int
        var hostInterface: String
        var address: String
    }

    /// What the server's links are named after: `al` and four hex digits of the server's `owner`.
    let prefix: String
    /// The priority of the server's `unreachable` routes, which tells them from any other server's.
    let routeMetric: Int
    /// The /30s this server uses (their pairs, or the unreachable routes kept a while after).
    private let inUse = Mutex<Set<Int>>([])
    /// How long a /30's unreachable route stays after its compute ended: requests that took the compute just before
    /// it ended connect within it.
    static let routeGrace: Duration = .seconds(10)

    /// Runs `ip`, `unshare` and `nsenter`.
    private let launcher: any ProcessLauncher
    /// Where the removal of a /30's route `routeGrace` after its compute ended waits (the supervisor's tasks).
    private let tasks: ServiceTasks

    /// The namespaces of the server `owner` names (its data directory, and its node name where nodes share one).
    init(owner: String, launcher: any ProcessLauncher, tasks: ServiceTasks) {
        self.launcher = launcher
        self.tasks = tasks
        let mark = StableHash.of(owner) & 0xFFFF
        self.prefix = "al" + String(format: "%04x", mark)
        self.routeMetric = 0x3A00_0000 + Int(mark)
    }

    /// Why namespaces cannot be made here, nil when they can (a pair is made and removed, and a namespace).
    func unavailableReason() async -> String? {
        guard geteuid() == 0 else { return "the server does not run as root" }
        guard Self.ip != nil else { return "iproute2's ip is not installed (Debian: apt-get install iproute2)" }
        guard let unshare = Self.unshare, Self.nsenter != nil else { return "util-linux's unshare and nsenter are not installed" }
        do {
            try await self.run(["link", "add", "\(self.prefix)p", "type", "veth", "peer", "name", "\(self.prefix)q"])
            try await self.run(["link", "delete", "\(self.prefix)p"])
            try await self.run(["--net", "--", "true"], program: unshare)
            return nil
        } catch {
            return "a network namespace could not be made: \(error)"
        }
    }

    /// The words that run a compute's command in a namespace of its own (which `attach` then connects).
    var commandPrefix: [String] {
        [Self.unshare ?? "unshare", "--net", "--"]
    }

    /// Connects the namespace of `pid` (started with `commandPrefix`) to the server: loopback up, a veth pair, the
    /// server's side as its default route. Waits for the process to be in its namespace; throws when it ended first.
    func attach(_ pid: pid_t, running: () -> Bool) async throws -> Namespace {
        let own = ProcessTable.networkNamespace(of: getpid())
        let deadline = ContinuousClock.now + .seconds(5)
        while [own, nil].contains(ProcessTable.networkNamespace(of: pid)) {
            guard running(), ContinuousClock.now < deadline else {
                throw ComputeSupervisor.StartFailure(description: "the compute ended before its network namespace was made")
            }
            try await Task.sleep(for: .milliseconds(1))
        }
        let taken = await self.machineSlots()
        let slot = try self.inUse.withLock { inUse -> Int in
            let free = (0..<16_384).filter { slot in
                let third = slot / 64
                return third != 169 && third != 0 && third != 255 && !inUse.contains(slot) && !taken.contains(slot)
            }
            guard let slot = free.randomElement() else { throw ComputeSupervisor.StartFailure(description: "no link-local /30 is free for a compute's network") }
            inUse.insert(slot)
            return slot
        }
        let base = "169.254.\(slot / 64)."
        let first = (slot % 64) * 4
        let namespace = Namespace(slot: slot, hostInterface: "\(self.prefix)h\(slot)", address: base + "\(first + 2)")
        let inner = "\(self.prefix)c\(slot)"
        do {
            try await self.run(["-batch", "-"], input: """
                route replace unreachable \(base)\(first)/30 metric \(self.routeMetric)
                link add \(namespace.hostInterface) type veth peer name \(inner) netns \(pid)
                addr add \(base)\(first + 1)/30 dev \(namespace.hostInterface)
                link set \(namespace.hostInterface) up
                """)
            // Once the compute's side is down (it is ending), its route is not used: the unreachable one answers.
            try "1".write(
                toFile: "/proc/sys/net/ipv4/conf/\(namespace.hostInterface)/ignore_routes_with_linkdown", atomically: false, encoding: .utf8
            )
            try await self.run(["--net=/proc/\(pid)/ns/net", "--", Self.ip ?? "ip", "-batch", "-"], program: Self.nsenter, input: """
                link set lo up
                addr add \(namespace.address)/30 dev \(inner)
                link set \(inner) up
                route add default via \(base)\(first + 1)
                """)
        } catch {
            await self.release(namespace, immediately: true)
            throw error
        }
        return namespace
    }

    /// Removes the pair (its namespace ends with its processes); the /30's unreachable route goes `routeGrace`
    /// later, or at once (`immediately`: the compute never answered).
    func release(_ namespace: Namespace, immediately: Bool = false) async {
        _ = try? await self.run(["link", "delete", namespace.hostInterface])
        if immediately {
            await self.forget(namespace.slot)
        } else {
            self.tasks.add {
                try? await Task.sleep(for: Self.routeGrace)
                await self.forget(namespace.slot)
            }
        }
    }

    /// Removes the routes of every /30 still held (the server is stopping: its computes have ended).
    func releaseAll() async {
        for slot in self.inUse.withLock({ $0 }) { await self.forget(slot) }
    }

    /// Removes the /30's unreachable route; the /30 is free again.
    private func forget(_ slot: Int) async {
        guard self.inUse.withLock({ $0.remove(slot) }) != nil else { return }
        _ = try? await self.run(["route", "delete", "unreachable", "169.254.\(slot / 64).\((slot % 64) * 4)/30", "metric", "\(self.routeMetric)"])
    }

    /// What a crashed server of this data directory left: its links and unreachable routes (its computes ended
    /// with it).
    func removeLeftovers() async {
        guard Self.ip != nil else { return }
        let links = (try? await self.run(["-o", "link", "show"])) ?? ""
        for line in links.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2)
            guard fields.count >= 2 else { continue }
            let name = fields[1].trimmingCharacters(in: .whitespaces).split(separator: "@").first.map(String.init) ?? ""
            if name.hasPrefix(self.prefix + "h") { _ = try? await self.run(["link", "delete", name]) }
        }
        let routes = (try? await self.run(["-4", "route", "show", "type", "unreachable"])) ?? ""
        for line in routes.split(separator: "\n") {
            let words = line.split(separator: " ").map(String.init)
            guard words.count >= 4, words[0] == "unreachable", words.contains("\(self.routeMetric)") else { continue }
            _ = try? await self.run(["route", "delete", "unreachable", words[1], "metric", "\(self.routeMetric)"])
        }
    }

    /// The slots whose /30 the machine already routes or has an address in.
    private func machineSlots() async -> Set<Int> {
        let addresses = (try? await self.run(["-o", "-4", "addr", "show"])) ?? ""
        let listing = addresses + ((try? await self.run(["-4", "route", "show", "table", "all"])) ?? "")
        var slots = Set<Int>()
        for word in listing.split(whereSeparator: \.isWhitespace) where word.hasPrefix("169.254.") {
            let octets = word.split(separator: "/").first?.split(separator: ".").compactMap { Int($0) } ?? []
            if octets.count == 4 { slots.insert(octets[2] * 64 + octets[3] / 4) }
        }
        return slots
    }

    static let ip = SearchPath.find("ip")
    static let unshare = SearchPath.find("unshare")
    static let nsenter = SearchPath.find("nsenter")

    /// Runs `program` (`ip` when nil) with `arguments` (and `input` on its standard input); its output.
    @discardableResult
    private func run(_ arguments: [String], program: String? = ComputeNamespaces.ip, input: String? = nil) async throws -> String {
        guard let program else { throw ComputeSupervisor.StartFailure(description: "ip is not installed") }
        var command = ProcessCommand(program, arguments)
        command.input = input ?? ""
        let result = try await self.launcher.capture(command, timeout: .seconds(30), limit: 1 << 20)
        guard result.outcome.succeeded else {
            let message = result.error.trimmingCharacters(in: .whitespacesAndNewlines)
            let name = (program as NSString).lastPathComponent
            throw ComputeSupervisor.StartFailure(description: "\(name) \(arguments.joined(separator: " ")): \(message)")
        }
        return result.output
    }
}
