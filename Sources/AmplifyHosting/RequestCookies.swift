import Foundation
import Hummingbird

/// The cookies a request carries (`Cookie` headers, `name=value` pairs split by `;`), by name; the last of a name wins.
public enum RequestCookies {
    public static func of(_ request: Request) -> [String: String] {
        var cookies: [String: String] = [:]
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                cookies[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return cookies
    }
}
