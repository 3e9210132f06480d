import Foundation
import PostgresNIO

/// Where a PostgreSQL database is, read from a URL as libpq reads it:
/// `postgres://user:password@host:port/database?sslmode=disable|prefer|require|verify-full`.
///
/// The port defaults to 5432, the user to `postgres`, the database to the user's name and `sslmode` to
/// `prefer` (TLS when the server offers it, its certificate not checked, as libpq does).
public struct PostgresLocation: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode

    /// How the connection uses TLS.
    public enum SSLMode: String, Sendable {
        case disable, prefer, require
        case verifyFull = "verify-full"
    }

    /// A URL that is not one of a PostgreSQL database.
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public init(url: String) throws(Invalid) {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme?.lowercased()) else {
            throw Invalid(description: "The database URL must look like postgres://user:password@host:5432/database.")
        }
        guard let host = components.host, !host.isEmpty else { throw Invalid(description: "The database URL names no host.") }
        self.host = host
        self.port = components.port ?? 5432
        self.username = components.user.flatMap { $0.isEmpty ? nil : $0 } ?? "postgres"
        self.password = components.password
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? self.username : path
        self.sslMode = .prefer
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode" else { throw Invalid(description: "The database URL has an unknown parameter '\(item.name)' (only sslmode is read).") }
            guard let mode = SSLMode(rawValue: item.value ?? "") else {
                throw Invalid(description: "sslmode must be disable, prefer, require or verify-full, not '\(item.value ?? "")'.")
            }
            self.sslMode = mode
        }
    }

    /// The URL without its password, for logs.
    public var description: String {
        "postgres://\(self.username)@\(self.host):\(self.port)/\(self.database)?sslmode=\(self.sslMode.rawValue)"
    }

    var clientConfiguration: PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS =
            switch self.sslMode {
            case .disable: .disable
            case .prefer: .prefer(self.tlsConfiguration)
            case .require, .verifyFull: .require(self.tlsConfiguration)
            }
        return PostgresClient.Configuration(
            host: self.host, port: self.port, username: self.username, password: self.password, database: self.database, tls: tls
        )
    }

    var connectionConfiguration: PostgresConnection.Configuration {
        get throws {
            let tls: PostgresConnection.Configuration.TLS =
                switch self.sslMode {
                case .disable: .disable
                case .prefer: .prefer(try NIOSSLContext(configuration: self.tlsConfiguration))
                case .require, .verifyFull: .require(try NIOSSLContext(configuration: self.tlsConfiguration))
                }
            return PostgresConnection.Configuration(
                host: self.host, port: self.port, username: self.username, password: self.password, database: self.database, tls: tls
            )
        }
    }

    private var tlsConfiguration: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if self.sslMode != .verifyFull { configuration.certificateVerification = .none }
        return configuration
    }
}
