import AmplifyCore
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Network namespaces for computes (iproute2's `ip`, as root): each compute gets one of its own with a veth pair to
/// the server, so that it listens on port 3000 as on AWS (Nitro's preset hard-codes it) while every branch runs at
/// once. The pair's addresses are a /30 of the link-local 169.254.0.0/16 (not 169.254.169.0/24, where clouds keep
/// their metadata service), picked at random among those no interface of the machine has. Names carry a prefix of
/// the server's own (its data directory, and its node name where nodes share one), so the namespaces, links and
/// processes a crashed server left are found and removed at its next start, and no other server's are.
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
    public static func resolve(_ mode: Mode, owner: String?) throws -> Task<(ComputeNamespaces?, reason: String), Never> {
        let namespaces = ComputeNamespaces(owner: owner ?? "in-memory \(getpid())")
        switch mode {
        case .loopback:
            return Task { (nil, "--compute-network loopback") }
        case .namespace:
            if let reason = namespaces.unavailableReason() {
                throw ComputeSupervisor.StartFailure(description: "--compute-network namespace: \(reason)")
            }
            namespaces.removeLeftovers()
            return Task { (namespaces, "--compute-network namespace") }
        case .auto:
            return Task.detached {
                if let reason = namespaces.unavailableReason() { return (nil, reason) }
                namespaces.removeLeftovers()
                return (namespaces, "network namespaces can be made here")
            }
        }
    }

    /// One compute's namespace: `address` is the compute's side of the pair, `hostInterface` the server's.
    struct Namespace: Sendable, Hashable {
        var name: String
        var hostInterface: String
        var address: String
    }

    /// What namespaces are named after: `al` and four hex digits of the server's `owner`.
    let prefix: String
    private let inUse = Mutex<Set<Int>>([])

    init(owner: String) {
        self.prefix = "al" + String(format: "%04x", StableHash.of(owner) & 0xFFFF)
    }

    /// Why namespaces cannot be made here, nil when they can (one is made and removed to find out).
    func unavailableReason() -> String? {
        guard geteuid() == 0 else { return "the server does not run as root" }
        guard Self.ip != nil else { return "iproute2's ip is not installed (Debian: apt-get install iproute2)" }
        let name = "\(self.prefix)-probe"
        do {
            try Self.run(["netns", "add", name])
            try Self.run(["netns", "delete", name])
            return nil
        } catch {
            return "a network namespace could not be made: \(error)"
        }
    }

    /// A new namespace with its loopback up and a veth pair to the server.
    func make() throws -> Namespace {
        let taken = Self.machineSlots()
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
        let namespace = Namespace(name: "\(self.prefix)-\(slot)", hostInterface: "\(self.prefix)h\(slot)", address: base + "\((slot % 64) * 4 + 2)")
        let inner = "\(self.prefix)c\(slot)"
        do {
            try Self.run(["netns", "add", namespace.name])
            try Self.run(["-batch", "-"], input: """
                link add \(namespace.hostInterface) type veth peer name \(inner)
                link set \(inner) netns \(namespace.name)
                addr add \(base)\((slot % 64) * 4 + 1)/30 dev \(namespace.hostInterface)
                link set \(namespace.hostInterface) up
                """)
            try Self.run(["-n", namespace.name, "-batch", "-"], input: """
                link set lo up
                addr add \(namespace.address)/30 dev \(inner)
                link set \(inner) up
                route add default via \(base)\((slot % 64) * 4 + 1)
                """)
        } catch {
            self.remove(namespace)
            throw error
        }
        return namespace
    }

    /// Removes the namespace and its pair (once its processes have ended).
    func remove(_ namespace: Namespace) {
        _ = try? Self.run(["link", "delete", namespace.hostInterface])
        _ = try? Self.run(["netns", "delete", namespace.name])
        if let slot = Int(namespace.name.dropFirst(self.prefix.count + 1)) {
            _ = self.inUse.withLock { $0.remove(slot) }
        }
    }

    /// What a crashed server of this data directory left: its computes' processes (killed), namespaces and links.
    func removeLeftovers() {
        guard Self.ip != nil, let listing = try? Self.run(["netns", "list"]) else { return }
        for line in listing.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            guard name.hasPrefix(self.prefix + "-") else { continue }
            let pids = (try? Self.run(["netns", "pids", name])) ?? ""
            for pid in pids.split(whereSeparator: \.isWhitespace).compactMap({ pid_t($0) }) { kill(pid, SIGKILL) }
            _ = try? Self.run(["netns", "delete", name])
        }
        let links = (try? Self.run(["-o", "link", "show"])) ?? ""
        for line in links.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2)
            guard fields.count >= 2 else { continue }
            let name = fields[1].trimmingCharacters(in: .whitespaces).split(separator: "@").first.map(String.init) ?? ""
            if name.hasPrefix(self.prefix + "h") { _ = try? Self.run(["link", "delete", name]) }
        }
    }

    /// The slots whose /30 some interface of the machine has.
    private static func machineSlots() -> Set<Int> {
        let addresses = (try? Self.run(["-o", "-4", "addr", "show"])) ?? ""
        var slots = Set<Int>()
        for word in addresses.split(whereSeparator: \.isWhitespace) where word.hasPrefix("169.254.") {
            let octets = word.split(separator: "/").first?.split(separator: ".").compactMap { Int($0) } ?? []
            if octets.count == 4 { slots.insert(octets[2] * 64 + octets[3] / 4) }
        }
        return slots
    }

    static let ip = SearchPath.find("ip")

    /// Runs `ip` with `arguments` (and `input` on its standard input); its output.
    @discardableResult
    private static func run(_ arguments: [String], input: String? = nil) throws -> String {
        guard let ip = Self.ip else { throw ComputeSupervisor.StartFailure(description: "ip is not installed") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ip)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let stdin = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let problem = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: problem, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw ComputeSupervisor.StartFailure(description: "ip \(arguments.joined(separator: " ")): \(message)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
