/// Known outcomes among some rows: a tenant's base rate of success.
public struct OutcomeCounts: Sendable, Hashable {
    public var known = 0
    public var successful = 0

    public init(known: Int = 0, successful: Int = 0) {
        self.known = known
        self.successful = successful
    }

    public static func + (a: OutcomeCounts, b: OutcomeCounts) -> OutcomeCounts {
        OutcomeCounts(known: a.known + b.known, successful: a.successful + b.successful)
    }
}
