import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Who holds the other end of a TCP connection made on this machine, as the kernel tells it: the user that made the
/// peer's socket. Asked of sock_diag over netlink (what `ss` uses) for the one socket whose four-tuple is the
/// connection's, mirrored — one request, answered at once whatever the number of sockets; `/proc/net/tcp` and
/// `tcp6` (a line per socket of the machine, so a cost that grows with them) only where netlink is not there.
enum PeerSocketOwner {
    /// What the kernel said of the peer's socket.
    enum Lookup: Equatable {
        /// A socket its program still holds, made by `uid`.
        case held(uid: UInt32)
        /// A socket whose program has closed it (orphaned, or in TIME-WAIT): its user is not told any more.
        case released
        /// No such socket here: the peer is on another machine (or in another network namespace), or gone.
        case notFound
        /// The kernel could not be asked.
        case failed
    }

    /// One end of a connection: its family's address bytes (4 for IPv4, also for an IPv4-mapped IPv6 address; 16
    /// for IPv6) and port.
    struct Endpoint: Equatable {
        var address: [UInt8]
        var port: UInt16

        init?(_ socketAddress: SocketAddress) {
            switch socketAddress {
            case .v4(let v4):
                var sin = v4.address
                self.address = withUnsafeBytes(of: &sin.sin_addr) { Array($0) }
                self.port = UInt16(bigEndian: sin.sin_port)
            case .v6(let v6):
                var sin6 = v6.address
                let bytes = withUnsafeBytes(of: &sin6.sin6_addr) { Array($0) }
                // A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d; their sockets are IPv4 ones.
                let mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF
                self.address = mapped ? Array(bytes[12..<16]) : bytes
                self.port = UInt16(bigEndian: sin6.sin6_port)
            case .unixDomainSocket:
                return nil
            }
        }

        var isIPv4: Bool { self.address.count == 4 }

        /// 127.0.0.0/8 or ::1.
        var isLoopback: Bool {
            self.isIPv4 ? self.address[0] == 127 : self.address == [UInt8](repeating: 0, count: 15) + [1]
        }
    }

    /// The owner of the socket at `peer` connected to `local` (this server's end).
    static func lookup(peer: Endpoint, local: Endpoint) -> Lookup {
        #if os(Linux)
        let answer = self.viaNetlink(peer: peer, local: local)
        return answer == .failed ? self.viaProc(peer: peer, local: local) : answer
        #else
        return .failed
        #endif
    }

    /// Whether `address` is one of this machine's own (any interface's), so a socket there would be found here.
    static func isOwnAddress(_ address: [UInt8]) -> Bool {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return false }
        defer { freeifaddrs(list) }
        var entry: UnsafeMutablePointer<ifaddrs>? = first
        while let current = entry {
            defer { entry = current.pointee.ifa_next }
            guard let socketAddress = current.pointee.ifa_addr else { continue }
            switch Int32(socketAddress.pointee.sa_family) {
            case AF_INET:
                let bytes = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                    var sin = pointer.pointee
                    return withUnsafeBytes(of: &sin.sin_addr) { Array($0) }
                }
                if bytes == address { return true }
            case AF_INET6:
                let bytes = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    var sin6 = pointer.pointee
                    return withUnsafeBytes(of: &sin6.sin6_addr) { Array($0) }
                }
                if bytes == address { return true }
            default:
                continue
            }
        }
        return false
    }

    #if os(Linux)
    /// NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, NLMSG_ERROR (linux/netlink.h, linux/sock_diag.h): the
    /// kernel's headers are not in Glibc's module.
    private static let sockDiagProtocol: Int32 = 4
    private static let sockDiagByFamily: UInt16 = 20
    private static let requestFlag: UInt16 = 1
    private static let errorMessage: UInt16 = 2

    /// One `inet_diag_req_v2` for the exact socket (not a dump): the kernel finds it in its hash of connections.
    private static func viaNetlink(peer: Endpoint, local: Endpoint) -> Lookup {
        let descriptor = socket(AF_NETLINK, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), self.sockDiagProtocol)
        guard descriptor >= 0 else { return .failed }
        defer { close(descriptor) }
        var request = [UInt8]()
        request.reserveCapacity(72)
        func native32(_ value: UInt32) { withUnsafeBytes(of: value) { request += $0 } }
        func native16(_ value: UInt16) { withUnsafeBytes(of: value) { request += $0 } }
        func address16(_ bytes: [UInt8]) { request += bytes + [UInt8](repeating: 0, count: 16 - bytes.count) }
        // nlmsghdr: length, type, flags, sequence, port id.
        native32(72)
        native16(self.sockDiagByFamily)
        native16(self.requestFlag)
        native32(1)
        native32(0)
        // inet_diag_req_v2: family, protocol, extensions, padding, states (all).
        let family = peer.isIPv4 && local.isIPv4 ? AF_INET : AF_INET6
        request += [UInt8(family), UInt8(IPPROTO_TCP), 0, 0]
        native32(.max)
        // inet_diag_sockid of the peer's socket: its source is our peer, its destination is us (ports big-endian).
        request += [UInt8(peer.port >> 8), UInt8(peer.port & 0xFF), UInt8(local.port >> 8), UInt8(local.port & 0xFF)]
        address16(peer.address)
        address16(local.address)
        native32(0)
        // INET_DIAG_NOCOOKIE: the socket is found by its addresses alone.
        native32(.max)
        native32(.max)
        let sent = request.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
        guard sent == request.count else { return .failed }
        // The kernel answers within the send; not waiting keeps a surprise from blocking the event loop.
        var reply = [UInt8](repeating: 0, count: 256)
        let received = reply.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        guard received >= 20 else { return .failed }
        func read32(_ offset: Int) -> UInt32 { reply.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self) } }
        let type = reply.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4, as: UInt16.self) }
        if type == self.errorMessage {
            return Int32(bitPattern: read32(16)) == -ENOENT ? .notFound : .failed
        }
        // inet_diag_msg after the header: family, state, timer, retransmits, the socket id (48 bytes), expires,
        // read queue, write queue, uid, inode.
        guard type == self.sockDiagByFamily, received >= 88 else { return .failed }
        return read32(84) == 0 ? .released : .held(uid: read32(80))
    }

    /// The same from /proc/net/tcp (IPv4 sockets, also those an IPv6 socket reaches) and /proc/net/tcp6.
    private static func viaProc(peer: Endpoint, local: Endpoint) -> Lookup {
        let port = { (value: UInt16) in String(format: "%04X", value) }
        // The kernel prints each 32-bit word of an address as a number in the machine's byte order.
        func hex(_ bytes: [UInt8]) -> String {
            stride(from: 0, to: bytes.count, by: 4).map { start in
                bytes[start..<start + 4].reversed().map { String(format: "%02X", $0) }.joined()
            }.joined()
        }
        func mapped(_ bytes: [UInt8]) -> [UInt8] { bytes.count == 4 ? [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF] + bytes : bytes }
        var tables: [(String, String, String)] = []
        if peer.isIPv4 && local.isIPv4 {
            tables.append(("/proc/net/tcp", "\(hex(peer.address)):\(port(peer.port))", "\(hex(local.address)):\(port(local.port))"))
        }
        tables.append(("/proc/net/tcp6", "\(hex(mapped(peer.address))):\(port(peer.port))", "\(hex(mapped(local.address))):\(port(local.port))"))
        var readAny = false
        for (path, source, destination) in tables {
            guard let text = try? String(contentsOfFile: path, encoding: .ascii) else { continue }
            readAny = true
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count >= 10, fields[1] == source, fields[2] == destination else { continue }
                guard let uid = UInt32(fields[7]), let inode = UInt64(fields[9]) else { return .failed }
                return inode == 0 ? .released : .held(uid: uid)
            }
        }
        return readAny ? .notFound : .failed
    }
    #endif
}
