import Foundation

/// Where the service reads the time; tests put in their own.
public struct ServiceClock: Sendable {
    public let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date) {
        self.now = now
    }

    /// The system clock, to the millisecond as the real service reports times.
    public static let system = ServiceClock {
        Date(timeIntervalSince1970: (Date().timeIntervalSince1970 * 1000).rounded() / 1000)
    }
}
