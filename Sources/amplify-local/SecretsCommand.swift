import AmplifyCore
import AmplifyServer
import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// `amplify-local secrets set|list|delete`: build secrets, through a running server's admin endpoint or in the
/// data directory of a stopped one.
struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets",
        abstract: "Set, list and delete the secrets builds get (the secrets environment variable, as on AWS).",
        subcommands: [Set.self, List.self, Delete.self]
    )

    /// `--data-dir` is the top command's option (the server's), parsed wherever it is given: read from there.
    @ParentCommand var root: AmplifyLocalCommand

    var dataDirectory: String? { self.root.options.dataDir }

    /// The data directory to work in (`--data-dir`), or nil for the server at `--endpoint`.
    func local(_ target: Target) throws -> String? {
        guard let directory = self.dataDirectory else { return nil }
        guard target.endpoint == nil else { throw ValidationError("Give --endpoint or --data-dir, not both.") }
        return directory
    }

    /// An AWS-style error of the rules (or the data directory's lock), said as the command's failure.
    static func surface<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as AmplifyError {
            throw Failure(description: error.message)
        } catch {
            throw Failure(description: "\(error)")
        }
    }

    /// Why a command failed, in one line.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Where the secrets are, and whose.
    struct Target: ParsableArguments {
        @Option(
            help: "A running server (default $AWS_ENDPOINT_URL, else http://127.0.0.1:4566; signed with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY when set). --data-dir DIR names a stopped server's data directory instead."
        )
        var endpoint: String?
        @Option(help: "The app's account, for unsigned requests and --data-dir (default: the signature's, else 000000000000).")
        var account: String?
        @Option(help: "The app's region (default: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1).")
        var region: String?

        var scope: Scope {
            let environment = ProcessInfo.processInfo.environment
            return Scope(
                account: self.account ?? Scope.defaultAccount,
                region: self.region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? Scope.defaultRegion
            )
        }

        /// Runs an admin request (method, path under `/_amplify-local/secrets/`, body) on the server; its JSON answer.
        func request(_ method: HTTPMethod, _ segments: [String], body: [UInt8] = []) async throws -> [String: Any] {
            let fallback = ProcessInfo.processInfo.environment["AWS_ENDPOINT_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://127.0.0.1:4566"
            let base = (self.endpoint ?? fallback).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            guard let url = URL(string: base), let host = url.host else { throw Failure(description: "--endpoint \(base) is not a URL.") }
            let path = "/_amplify-local/secrets/" + segments.map(Self.encode).joined(separator: "/")
            let scope = self.scope
            // Unsigned, the server takes the account and region from the query (its defaults without); signed, from the signature.
            let query = [self.account.map { "account=\(Self.encode($0))" }, self.region.map { "region=\(Self.encode($0))" }]
                .compactMap { $0 }.joined(separator: "&")
            var request = HTTPClientRequest(url: "\(base)\(path)" + (query.isEmpty ? "" : "?\(query)"))
            request.method = method
            request.body = .bytes(ByteBuffer(bytes: body))
            let environment = ProcessInfo.processInfo.environment
            if let id = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"] {
                let signer = SigV4Signer(accessKeyId: id, secretAccessKey: secret, region: scope.region)
                let authority = url.port.map { "\(host):\($0)" } ?? host
                for (name, value) in signer.headers(method: method.rawValue, host: authority, path: path, query: query.isEmpty ? nil : query, body: body) {
                    request.headers.add(name: name, value: value)
                }
            }
            let client = HTTPClient(
                eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .seconds(5), read: .seconds(30)))
            )
            let answer: Result<(HTTPResponseStatus, Data), any Error>
            do {
                let response = try await client.execute(request, timeout: .seconds(30))
                answer = .success((response.status, Data((try await response.body.collect(upTo: 16 * 1024 * 1024)).readableBytesView)))
            } catch {
                answer = .failure(error)
            }
            try? await client.shutdown()
            guard case .success(let (status, data)) = answer else {
                throw Failure(description: "Could not reach amplify-local at \(base). Is it running? (--endpoint, or --data-dir for a stopped one)")
            }
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
            guard status == .ok else {
                let message = object["message"] as? String ?? object["Message"] as? String ?? String(decoding: data, as: UTF8.self)
                throw Failure(description: message)
            }
            return object
        }

        private static func encode(_ text: String) -> String {
            text.addingPercentEncoding(withAllowedCharacters: CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a secret of an app, or of one branch with --branch.")

        @Argument(help: "The app's id.") var appId: String
        @Argument(help: "The secret's name.") var name: String
        @Argument(help: "Its value; - reads it from standard input (one trailing newline dropped).") var value: String
        @Option(help: "The branch it is for (it overrides the app's of the same name).") var branch: String?
        @OptionGroup var target: Target
        @ParentCommand var secrets: SecretsCommand

        func run() async throws {
            var bytes = Array(self.value.utf8)
            if self.value == "-" {
                bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
                if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
            }
            if let directory = try self.secrets.local(self.target) {
                _ = try await SecretsCommand.surface {
                    try await DataDirectorySecrets(dataDirectory: directory).set(
                        self.target.scope, appId: self.appId, branchName: self.branch, name: self.name, value: bytes
                    )
                }
            } else {
                _ = try await self.target.request(.PUT, [self.appId] + (self.branch.map { [$0] } ?? []) + [self.name], body: bytes)
            }
            print("Set secret \(self.name) of app \(self.appId)\(self.branch.map { ", branch \($0)" } ?? "").")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List an app's secrets (names and times, never values), or with --branch those its builds get, as JSON."
        )

        @Argument(help: "The app's id.") var appId: String
        @Option(help: "List what this branch's builds get.") var branch: String?
        @OptionGroup var target: Target
        @ParentCommand var secrets: SecretsCommand

        func run() async throws {
            let answer: [String: Any]
            if let directory = try self.secrets.local(self.target) {
                let listed = try await SecretsCommand.surface {
                    try await DataDirectorySecrets(dataDirectory: directory).list(self.target.scope, appId: self.appId, branchName: self.branch)
                }
                answer = ["secrets": listed.map(DataDirectorySecrets.describe)]
            } else {
                answer = try await self.target.request(.GET, [self.appId] + (self.branch.map { [$0] } ?? []))
            }
            print(String(decoding: try JSONSerialization.data(withJSONObject: answer, options: [.sortedKeys, .prettyPrinted]), as: UTF8.self))
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a secret of an app, or of one branch with --branch.")

        @Argument(help: "The app's id.") var appId: String
        @Argument(help: "The secret's name.") var name: String
        @Option(help: "The branch it is for.") var branch: String?
        @OptionGroup var target: Target
        @ParentCommand var secrets: SecretsCommand

        func run() async throws {
            if let directory = try self.secrets.local(self.target) {
                try await SecretsCommand.surface {
                    try await DataDirectorySecrets(dataDirectory: directory).delete(self.target.scope, appId: self.appId, branchName: self.branch, name: self.name)
                }
            } else {
                _ = try await self.target.request(.DELETE, [self.appId] + (self.branch.map { [$0] } ?? []) + [self.name])
            }
            print("Deleted secret \(self.name) of app \(self.appId)\(self.branch.map { ", branch \($0)" } ?? "").")
        }
    }
}
