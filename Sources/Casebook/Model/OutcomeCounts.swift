/// Known outcomes among some rows: a tenant's base rate of success.
public struct OutcomeCounts: Sendable, Hashable {
    public var known = 0
    public var successful = 0

    public init(known: Int = 0, successful: Int = 0) {
        self.known = known
        self.successful = successful
    }

    public var failed: Int { known - successful }

    /// One more precedent of known outcome.
    public mutating func add(_ success: Bool) {
        known += 1
        if success { successful += 1 }
    }

    public static func + (a: OutcomeCounts, b: OutcomeCounts) -> OutcomeCounts {
        OutcomeCounts(known: a.known + b.known, successful: a.successful + b.successful)
    }
}
