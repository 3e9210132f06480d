import AmplifyCore
import Foundation
import Subprocess
import Synchronization
import SystemPackage

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
    /// for none. `namespace` decides at once and is an error naming why when none can be made; `auto` decides in the
    /// background (the probe and the removal of what a crash left run `ip` several times: the server's start does
    /// not wait for them). `owner` names the server: its data directory, and its node name where nodes share one
    /// (nil: in memory).
    public static func resolve(_ mode: Mode, owner: String?) async throws -> Task<(ComputeNamespaces?, reason: String), Never> {
        let namespaces = ComputeNamespaces(owner: owner ?? "in-memory \(getpid())")
        switch mode {
        case .loopback:
            return Task { (nil, "--compute-network loopback") }
        case .namespace:
            if let reason = await namespaces.unavailableReason() {
                throw ComputeSupervisor.StartFailure(description: "--compute-network namespace: \(reason)")
            }
            await namespaces.removeLeftovers()
            return Task { (namespaces, "--compute-network namespace") }
        case .auto:
            return Task.detached {
                if let reason = await namespaces.unavailableReason() { return (nil, reason) }
                await namespaces.removeLeftovers()
                return (namespaces, "network namespaces can be made here")
            }
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

    init(owner: String) {
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
            try await Self.run(["link", "add", "\(self.prefix)p", "type", "veth", "peer", "name", "\(self.prefix)q"])
            try await Self.run(["link", "delete", "\(self.prefix)p"])
            try await Self.run(["--net", "--", "true"], program: unshare)
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
        let own = Self.networkNamespace(of: getpid())
        let deadline = ContinuousClock.now + .seconds(5)
        while [own, nil].contains(Self.networkNamespace(of: pid)) {
            guard running(), ContinuousClock.now < deadline else {
                throw ComputeSupervisor.StartFailure(description: "the compute ended before its network namespace was made")
            }
            try await Task.sleep(for: .milliseconds(1))
        }
        let taken = await Self.machineSlots()
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
            try await Self.run(["-batch", "-"], input: """
                route replace unreachable \(base)\(first)/30 metric \(self.routeMetric)
                link add \(namespace.hostInterface) type veth peer name \(inner) netns \(pid)
                addr add \(base)\(first + 1)/30 dev \(namespace.hostInterface)
                link set \(namespace.hostInterface) up
                """)
            // Once the compute's side is down (it is ending), its route is not used: the unreachable one answers.
            try "1".write(
                toFile: "/proc/sys/net/ipv4/conf/\(namespace.hostInterface)/ignore_routes_with_linkdown", atomically: false, encoding: .utf8
            )
            try await Self.run(["--net=/proc/\(pid)/ns/net", "--", Self.ip ?? "ip", "-batch", "-"], program: Self.nsenter, input: """
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
        _ = try? await Self.run(["link", "delete", namespace.hostInterface])
        if immediately {
            await self.forget(namespace.slot)
        } else {
            Task.detached {
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
        _ = try? await Self.run(["route", "delete", "unreachable", "169.254.\(slot / 64).\((slot % 64) * 4)/30", "metric", "\(self.routeMetric)"])
    }

    /// What a crashed server of this data directory left: its links and unreachable routes (its computes ended
    /// with it).
    func removeLeftovers() async {
        guard Self.ip != nil else { return }
        let links = (try? await Self.run(["-o", "link", "show"])) ?? ""
        for line in links.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2)
            guard fields.count >= 2 else { continue }
            let name = fields[1].trimmingCharacters(in: .whitespaces).split(separator: "@").first.map(String.init) ?? ""
            if name.hasPrefix(self.prefix + "h") { _ = try? await Self.run(["link", "delete", name]) }
        }
        let routes = (try? await Self.run(["-4", "route", "show", "type", "unreachable"])) ?? ""
        for line in routes.split(separator: "\n") {
            let words = line.split(separator: " ").map(String.init)
            guard words.count >= 4, words[0] == "unreachable", words.contains("\(self.routeMetric)") else { continue }
            _ = try? await Self.run(["route", "delete", "unreachable", words[1], "metric", "\(self.routeMetric)"])
        }
    }

    /// The slots whose /30 the machine already routes or has an address in.
    private static func machineSlots() async -> Set<Int> {
        let addresses = (try? await Self.run(["-o", "-4", "addr", "show"])) ?? ""
        let listing = addresses + ((try? await Self.run(["-4", "route", "show", "table", "all"])) ?? "")
        var slots = Set<Int>()
        for word in listing.split(whereSeparator: \.isWhitespace) where word.hasPrefix("169.254.") {
            let octets = word.split(separator: "/").first?.split(separator: ".").compactMap { Int($0) } ?? []
            if octets.count == 4 { slots.insert(octets[2] * 64 + octets[3] / 4) }
        }
        return slots
    }

    /// The network namespace a process is in (`net:[inode]`), nil when it is gone.
    private static func networkNamespace(of pid: pid_t) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net")
    }

    static let ip = SearchPath.find("ip")
    static let unshare = SearchPath.find("unshare")
    static let nsenter = SearchPath.find("nsenter")

    /// Runs `program` (`ip` when nil) with `arguments` (and `input` on its standard input); its output.
    @discardableResult
    private static func run(_ arguments: [String], program: String? = ComputeNamespaces.ip, input: String? = nil) async throws -> String {
        guard let program else { throw ComputeSupervisor.StartFailure(description: "ip is not installed") }
        let result = try await Subprocess.run(
            .path(FilePath(program)), arguments: Arguments(arguments), input: .string(input ?? ""), output: .string(limit: 1 << 20),
            error: .string(limit: 64 << 10)
        )
        guard result.terminationStatus.isSuccess else {
            let message = result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
            let name = (program as NSString).lastPathComponent
            throw ComputeSupervisor.StartFailure(description: "\(name) \(arguments.joined(separator: " ")): \(message)")
        }
        return result.standardOutput
    }
}
