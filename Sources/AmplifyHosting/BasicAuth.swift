import AmplifyCore
import Foundation
import HTTPTypes
import Hummingbird

/// A site's basic auth: the branch's when it enables its own, else the app's when the app enables it.
/// `basicAuthCredentials` is `base64(user:password)`, as the API takes it.
struct BasicAuth {
    let credentials: String?

    init(app: App, branch: Branch) {
        if branch.enableBasicAuth, let credentials = branch.basicAuthCredentials {
            self.credentials = credentials
        } else if app.enableBasicAuth, let credentials = app.basicAuthCredentials {
            self.credentials = credentials
        } else {
            self.credentials = nil
        }
    }

    /// A 401 challenge unless `authorization` carries the credentials (or none are needed).
    func challenge(_ authorization: String?) -> Response? {
        guard let expected = self.credentials else { return nil }
        if let authorization, authorization.lowercased().hasPrefix("basic ") {
            let given = authorization.dropFirst(6).trimmingCharacters(in: .whitespaces)
            let decoded = Data(base64Encoded: given).map { String(decoding: $0, as: UTF8.self) }
            if ConstantTime.equal(given, expected) || decoded.map({ ConstantTime.equal($0, expected) }) == true { return nil }
        }
        return SitePage.response(
            .unauthorized, "This site needs a user name and password.", headers: [.wwwAuthenticate: "Basic realm=\"amplify-local\", charset=\"UTF-8\""]
        )
    }
}
