import AmplifyBuilds
import AmplifyCore
import AmplifyWire
import Foundation

/// The operations of the Amplify API: each takes its validated wire input, applies Core's rules through the
/// store, and answers with its wire output. `WireService` (generated) binds each to its operation and dispatches.
struct AmplifyAPI: WireService {
    typealias Call = APICall

    let store: any Store
    let runner: BuildRunner
    let clock: ServiceClock
    /// Outcomes asked for domain associations not created yet.
    let domainControls: DomainControls

    /// The page size: the model allows 0, which means the default.
    static func pageSize(_ maxResults: Int?, default value: Int) -> Int {
        guard let maxResults, maxResults > 0 else { return value }
        return maxResults
    }

    static func pageToken(_ token: String?, list: PageToken.List) throws -> PageToken? {
        guard let token, !token.isEmpty else { return nil }
        return try PageToken(decoding: token, list: list)
    }
}
