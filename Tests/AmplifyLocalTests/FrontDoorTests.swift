@testable import AmplifyCore
import Testing

/// Which Host names and Origins are the server's own (`FrontDoorPolicy`), without a server.
@Suite struct FrontDoorTests {
    let policy = try! FrontDoorPolicy(bindHost: "127.0.0.1")

    @Test func ipLiteralsAndLocalhostNamesAreTheServers() {
        for host in ["127.0.0.1:4566", "127.0.0.1", "10.1.2.3:80", "[::1]:4566", "[::1]", "[fe80::1]", "localhost", "LOCALHOST:4566", "localhost.:4566",
                     "api.localhost:4566", "a.b.c.localhost"] {
            #expect(self.policy.allowsHost(host), "\(host)")
        }
    }

    @Test func theByteLevelFastPathTakesOnlyLoopbackNamesWithAPort() {
        for host in ["127.0.0.1", "127.0.0.1:4566", "localhost", "localhost:1"] { #expect(FrontDoorPolicy.isLoopback(host), "\(host)") }
        for host in ["127.0.0.1.nip.io", "127.0.0.10", "localhost.attacker.example", "localhost:", "localhost:123456", "localhost:4a", "LOCALHOST"] {
            #expect(!FrontDoorPolicy.isLoopback(host), "\(host)")
        }
    }

    @Test func otherNamesAndMalformedHostsAreNot() {
        for host in ["rebind.attacker.example", "rebind.attacker.example:4566", "localhost.attacker.example", "attackerlocalhost", "127.0.0.1.nip.io",
                     "256.0.0.1", "1.2.3", "2130706433", "0x7f.0.0.1", "localhost:abc", "[::1", "[not:hex:zz]", "", "..localhost", "a..b", "host name",
                     "user@localhost", "[::1]x", "localhost:", "127.0.0.1:123456", "localhost:4566x"] {
            #expect(!self.policy.allowsHost(host), "\(host)")
        }
    }

    @Test func theBoundNameAndAllowedHostsAreAdded() throws {
        let policy = try FrontDoorPolicy(bindHost: "devbox.lan", allowedHosts: ["Rebind.Attacker.Example", "*.corp.test"])
        #expect(policy.allowsHost("devbox.lan:4566") && policy.allowsHost("DEVBOX.LAN"))
        #expect(policy.allowsHost("rebind.attacker.example:4566"))
        #expect(policy.allowsHost("a.corp.test") && policy.allowsHost("x.y.corp.test:80"))
        #expect(!policy.allowsHost("corp.test") && !policy.allowsHost("evilcorp.test") && !policy.allowsHost("other.attacker.example"))
        #expect(try FrontDoorPolicy(bindHost: "::").allowsHost("[::]:4566"))
        #expect(try FrontDoorPolicy(bindHost: "127.0.0.1", allowedHosts: ["*"]).allowsHost("anything.example"))
    }

    @Test func badListEntriesAreRefusedNamingThem() {
        for entry in ["dev.test:8080", "http://dev.test", "a b", "", "*."] {
            #expect(throws: AmplifyError.self) { try FrontDoorPolicy(bindHost: "127.0.0.1", allowedHosts: [entry]) }
        }
        for entry in ["localhost:3000", "http://localhost:3000/app", "http://", "://x", "http://user@x", "1http://x"] {
            #expect(throws: AmplifyError.self) { try FrontDoorPolicy(bindHost: "127.0.0.1", allowedOrigins: [entry]) }
        }
        do {
            _ = try FrontDoorPolicy(bindHost: "127.0.0.1", allowedOrigins: ["localhost:3000"])
        } catch {
            #expect(error.message.contains("--allowed-origins localhost:3000"))
        }
    }

    @Test func theServersOwnOriginIsHttpAndTheRequestsHost() {
        #expect(self.policy.allowsOrigin("http://127.0.0.1:4566", requestHost: "127.0.0.1:4566"))
        #expect(self.policy.allowsOrigin("http://LOCALHOST:4566", requestHost: "localhost:4566"))
        #expect(self.policy.allowsOrigin("http://localhost", requestHost: "localhost:80"))
        #expect(self.policy.allowsOrigin("http://[::1]:4566", requestHost: "[::1]:4566"))
        // Another port, scheme or name is another origin: a dev server's page, a site of this server.
        #expect(!self.policy.allowsOrigin("http://localhost:3000", requestHost: "localhost:4566"))
        #expect(!self.policy.allowsOrigin("https://localhost:4566", requestHost: "localhost:4566"))
        #expect(!self.policy.allowsOrigin("http://main.d1abc.localhost:4566", requestHost: "localhost:4566"))
        #expect(!self.policy.allowsOrigin("http://localhost:4566", requestHost: "127.0.0.1:4566"))
        #expect(!self.policy.allowsOrigin("https://attacker.example", requestHost: "127.0.0.1:4566"))
        #expect(!self.policy.allowsOrigin("null", requestHost: "127.0.0.1:4566"))
        #expect(!self.policy.allowsOrigin("http://127.0.0.1:4566", requestHost: nil))
    }

    @Test func allowedOriginsAreComparedNormalized() throws {
        let policy = try FrontDoorPolicy(bindHost: "127.0.0.1", allowedOrigins: ["http://LocalHost:3000/", "https://app.example.test:443", "null"])
        #expect(policy.isListed("http://localhost:3000") && policy.allowsOrigin("http://localhost:3000", requestHost: "127.0.0.1:4566"))
        #expect(policy.isListed("https://app.example.test") && policy.isListed("null"))
        #expect(!policy.isListed("http://localhost:3001") && !policy.isListed("http://app.example.test"))
        #expect(try FrontDoorPolicy(bindHost: "127.0.0.1", allowedOrigins: ["*"]).isListed("https://anything.example"))
    }

    @Test func refusalsSayWhatIsWrong() {
        #expect(self.policy.refusal(host: "rebind.attacker.example", origin: nil, fetchSite: nil) == .host("rebind.attacker.example"))
        #expect(self.policy.refusal(host: "127.0.0.1:1", origin: "https://attacker.example", fetchSite: nil) == .origin("https://attacker.example"))
        #expect(self.policy.refusal(host: "127.0.0.1:1", origin: nil, fetchSite: "cross-site") == .crossSite)
        #expect(self.policy.refusal(host: "127.0.0.1:1", origin: "http://127.0.0.1:1", fetchSite: "same-origin") == nil)
        #expect(self.policy.refusal(host: "127.0.0.1:1", origin: nil, fetchSite: "same-site") == nil)
        #expect(self.policy.refusal(host: "127.0.0.1:1", origin: nil, fetchSite: "none") == nil)
        // SDKs send neither; a client without Host (HTTP/1.0) is no browser.
        #expect(self.policy.refusal(host: "127.0.0.1:1", origin: nil, fetchSite: nil) == nil)
        #expect(self.policy.refusal(host: nil, origin: nil, fetchSite: nil) == nil)
        #expect(self.policy.message(.origin("https://attacker.example")).contains("--allowed-origins https://attacker.example"))
        #expect(self.policy.message(.host("rebind.attacker.example")).contains("--allowed-hosts"))
    }

    @Test func onlyJSONBodiesAreJSONOperations() {
        for type in ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/x-amz-json-1.1", "application/x-amz-json-1.0"] {
            #expect(FrontDoorPolicy.isJSONContentType(type), "\(type)")
        }
        for type in [nil, "", "text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                     "application/jsonp", "application/json-patch+json", "text/json"] as [String?] {
            #expect(!FrontDoorPolicy.isJSONContentType(type), "\(type ?? "none")")
        }
    }
}
