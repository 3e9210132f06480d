import Foundation

/// Which `Host` names and `Origin`s are this server's own, so that a web page the user visits can neither drive the
/// API (a cross-origin "simple" request: no preflight, so the browser sends it whatever the answer) nor read it
/// through DNS rebinding (a name of the attacker's that comes to resolve to 127.0.0.1, so the page is same-origin
/// with the server and its `Host` is that name).
///
/// A `Host` is the server's when it is an IP literal (an IPv4 address, or an IPv6 one in brackets: a browser reached
/// it without a DNS lookup, so there was nothing to rebind), `localhost` or a name under `.localhost` (RFC 6761:
/// never in public DNS; browsers resolve them to loopback themselves), the name the server was told to listen on, or
/// one the user allowed (`--allowed-hosts`: a name, `*.name` for the names under it, `*` for any). The port is not
/// looked at: only one server has the socket. An `Origin` is the server's when it is `http://` and the request's own
/// `Host` (the console's pages, which use relative URLs), or one the user allowed (`--allowed-origins`; `*` for any).
public struct FrontDoorPolicy: Sendable, Equatable {
    /// Why a request is refused, for its message.
    public enum Refusal: Sendable, Equatable {
        /// Its `Host` names none of the server's names.
        case host(String)
        /// Its `Origin` is another site's.
        case origin(String)
        /// It has no `Origin`, but the browser says another site made it (`Sec-Fetch-Site: cross-site`).
        case crossSite
    }

    /// Host names allowed as they are, lowercase, without a final dot.
    private var names: Set<String>
    /// Names whose subdomains are allowed (from `*.name`), each with its leading dot.
    private var suffixes: [String]
    private var anyHost: Bool
    /// Origins allowed as they are, in `FrontDoorPolicy.origin(_:)`'s form.
    private var origins: Set<String>
    private var anyOrigin: Bool

    /// `bindHost` is `--host` (an address or a name); `allowedHosts` and `allowedOrigins` the user's lists. Throws
    /// for an entry that is not a host name (or `*.name`, `*`), or not an origin (`scheme://host[:port]`, `null`, `*`).
    public init(bindHost: String, allowedHosts: [String] = [], allowedOrigins: [String] = []) throws(AmplifyError) {
        self.names = ["localhost"]
        self.suffixes = [".localhost"]
        self.anyHost = false
        self.origins = []
        self.anyOrigin = false
        if let bound = Self.hostName(bindHost) ?? Self.hostName("[\(bindHost)]") { self.names.insert(bound) }
        for entry in allowedHosts {
            let trimmed = entry.trimmingCharacters(in: .whitespaces)
            if trimmed == "*" {
                self.anyHost = true
            } else if trimmed.hasPrefix("*."), let name = Self.hostName(String(trimmed.dropFirst(2))), !name.hasPrefix("[") {
                self.suffixes.append("." + name)
            } else if !trimmed.contains(":") || trimmed.hasPrefix("["), let name = Self.hostName(trimmed) {
                self.names.insert(name)
            } else {
                throw .badRequest("--allowed-hosts \(entry): not a host name (a name such as dev.example.test, *.example.test for the names under it, or *).")
            }
        }
        for entry in allowedOrigins {
            let trimmed = entry.trimmingCharacters(in: .whitespaces)
            if trimmed == "*" {
                self.anyOrigin = true
            } else if let origin = Self.origin(trimmed) {
                self.origins.insert(origin)
            } else {
                throw .badRequest("--allowed-origins \(entry): not an origin (scheme://host[:port] with no path, such as http://localhost:3000, or null, or *).")
            }
        }
    }

    /// Why a request with these headers is refused, or nil when it is let through. A missing `Host` is let through (no
    /// browser omits it); with an `Origin`, the origin decides (a page of an allowed origin on another site says
    /// `Sec-Fetch-Site: cross-site` too); without one, `Sec-Fetch-Site: cross-site` is refused.
    public func refusal(host: String?, origin: String?, fetchSite: String?) -> Refusal? {
        if let host, !host.isEmpty, !self.allowsHost(host) { return .host(host) }
        if let origin {
            return self.allowsOrigin(origin, requestHost: host) ? nil : .origin(origin)
        }
        if let fetchSite, fetchSite.lowercased() == "cross-site" { return .crossSite }
        return nil
    }

    /// Whether a `Host` header (`name[:port]`) names this server.
    public func allowsHost(_ hostHeader: String) -> Bool {
        // What SDKs send nearly always, read byte by byte (the general path below reads Characters: ~2% of a GetJob).
        if Self.isLoopback(hostHeader) { return true }
        guard let name = Self.hostName(hostHeader) else { return false }
        if self.anyHost || Self.isIPLiteral(name) || self.names.contains(name) { return true }
        return self.suffixes.contains { name.count > $0.count && name.hasSuffix($0) }
    }

    /// Whether an `Origin` header is the server's own (`http://` and the request's `Host`) or one the user allowed.
    public func allowsOrigin(_ origin: String, requestHost: String?) -> Bool {
        if self.isListed(origin) { return true }
        guard let requestHost, let own = Self.origin("http://" + requestHost) else { return false }
        return Self.origin(origin) == own
    }

    /// Whether an `Origin` is one the user allowed (`--allowed-origins`): such a page is on another origin and needs
    /// CORS's answers to read what it asked.
    public func isListed(_ origin: String) -> Bool {
        guard let normalized = Self.origin(origin) else { return false }
        return self.anyOrigin || self.origins.contains(normalized)
    }

    /// Whether a request body's `Content-Type` is one a JSON operation takes: `application/json` or the AWS JSON
    /// protocols' `application/x-amz-json-1.0|1.1`, with any parameters. None of them is one a page can send without
    /// the browser asking first (CORS's preflight), which is what makes the check worth making; a missing one is
    /// refused too (`fetch` with an untyped body sends none).
    public static func isJSONContentType(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let type = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return ["application/json", "application/x-amz-json-1.0", "application/x-amz-json-1.1"].contains(type)
    }

    /// What the server answers a refusal with: who is refused and what lets it through.
    public func message(_ refusal: Refusal) -> String {
        switch refusal {
        case .host(let host):
            return "Host \(host) is not a name of this server (an IP address, localhost, *.localhost or --allowed-hosts): a page of another site"
                + " that made its name point here (DNS rebinding) is refused. Start the server with --allowed-hosts NAME to use this name."
        case .origin(let origin):
            return "Origin \(origin) is another site: its pages may not call this server. Start the server with --allowed-origins \(origin) to allow it."
        case .crossSite:
            return "The request was made by a page of another site (Sec-Fetch-Site: cross-site): its pages may not call this server."
        }
    }

    /// The name a `Host` header gives, lowercase, without its port and final dot; an IPv6 address keeps its brackets.
    /// Nil for a header that is not `name[:port]` (a port that is not digits, an empty name, bytes no name has).
    static func hostName(_ header: String) -> String? {
        var text = Substring(header.lowercased())
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && Self.isPort(rest.dropFirst())) else { return nil }
            let address = text[text.index(after: text.startIndex)..<close]
            guard address.contains(":"), address.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
            return "[\(address)]"
        }
        if let colon = text.lastIndex(of: ":") {
            guard Self.isPort(text[text.index(after: colon)...]) else { return nil }
            text = text[..<colon]
        }
        if text.hasSuffix(".") { text = text.dropLast() }
        let allowed = text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") }
        guard !text.isEmpty, allowed, !text.hasPrefix("."), !text.contains("..") else { return nil }
        return String(text)
    }

    /// An `Origin` as compared: lowercase `scheme://host[:port]`, without a default port (80 for http, 443 for https)
    /// or a final dot of the host; `null` as it is. Nil for what is not one (a path, a user, no host).
    static func origin(_ text: String) -> String? {
        let lowered = text.lowercased()
        if lowered == "null" { return lowered }
        guard let separator = lowered.range(of: "://") else { return nil }
        let scheme = lowered[..<separator.lowerBound]
        guard let first = scheme.first, first.isLetter, scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }) else {
            return nil
        }
        var authority = lowered[separator.upperBound...]
        if authority.hasSuffix("/") { authority = authority.dropLast() }
        guard !authority.contains("/"), !authority.contains("@"), let name = Self.hostName(String(authority)) else { return nil }
        // What follows the name (hostName vouched for the bracket of an IPv6 address): its port, with its colon.
        var port: Substring = ""
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            port = authority[authority.index(after: close)...]
        } else if let colon = authority.lastIndex(of: ":") {
            port = authority[colon...]
        }
        if (scheme == "http" && port == ":80") || (scheme == "https" && port == ":443") { port = "" }
        return "\(scheme)://\(name)\(port)"
    }

    /// Whether a name (as `hostName` gives it) is an IP literal: four decimal numbers of 0 to 255, or an IPv6 address in
    /// brackets. Other spellings of an address (`2130706433`, `0x7f.1`) are not: a browser writes the dotted form.
    static func isIPLiteral(_ name: String) -> Bool {
        if name.hasPrefix("[") { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            (1...3).contains(part.count) && part.allSatisfy { $0.isASCII && $0.isNumber } && Int(part)! <= 255
        }
    }

    /// `127.0.0.1` or `localhost`, with or without a port (always this server's).
    static func isLoopback(_ header: String) -> Bool {
        let bytes = header.utf8
        for name in ["127.0.0.1".utf8, "localhost".utf8] where bytes.starts(with: name) {
            let rest = bytes.dropFirst(name.count)
            guard let colon = rest.first else { return true }
            let port = rest.dropFirst()
            return colon == UInt8(ascii: ":") && (1...5).contains(port.count) && port.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        }
        return false
    }

    private static func isPort(_ text: Substring) -> Bool {
        (1...5).contains(text.count) && text.allSatisfy { $0.isASCII && $0.isNumber }
    }
}
