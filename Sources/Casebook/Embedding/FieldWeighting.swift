/// How much each context field counts in a hashed-v2 vector, from the tenant's own outcomes: a
/// field whose values told successes from failures apart when the collection was fitted weighs
/// more than one that did not, so "similar" leans on what mattered for how decisions turned out.
/// Pure arithmetic over counts; ``NumericScales/fit(_:version:)`` gathers them.
///
/// A field's information is the mutual information I (nats) between its value and success, less
/// what chance alone would give: for a field of k values that has nothing to do with the outcome,
/// 2n·I follows a chi-squared distribution of k - 1 degrees of freedom (the G-test), of mean k - 1
/// and standard deviation sqrt(2(k - 1)). What is left above the mean plus ``significance``
/// deviations, (k - 1 + 3·sqrt(2(k - 1))) / (2n), is the field's information, never below 0. So a
/// field of many rare values (an id, a postcode) does not look informative by chance, and a tenant
/// whose outcomes no field explains keeps every field alike rather than weights drawn from noise.
/// A field's weight is `1 + strength · sqrt(information / H)`, H the entropy of the tenant's
/// outcomes (so information / H is the share of the outcome's uncertainty the field alone removes,
/// Theil's uncertainty coefficient), divided by the largest so that weights are at most 1. Weights
/// follow how much each field explains, not how fields rank among themselves: where no field
/// explains much (outcomes close to chance) every field stays close to alike, and a field that
/// tells nothing still counts (it tells precedents apart for the reader). The strength and the
/// significance are one setting for every collection, chosen on seven decision tables and the
/// generated sample (benchmarks/RESULTS.md, "Retrieval quality on real data").
public enum FieldWeighting {
    /// A tenant is weighed only with at least this many precedents of known outcome...
    public static let minimumOutcomes = NumericScales.minimumOutcomesToWeigh
    /// ...of which at least this many succeeded and this many failed.
    public static let minimumEachOutcome = 5
    /// How far a field's weight grows with the share of the outcome it explains: a field that
    /// explained all of it would weigh `1 + strength` times one that explained none.
    public static let strength = 8.0
    /// How many standard deviations above what chance alone gives a field's information must be
    /// to count (see ``information(_:)``).
    public static let significance = 3.0

    /// The bias-corrected mutual information (nats) between a field's values and success, from
    /// the outcomes of each value's precedents; 0 for a field of one value.
    public static func information(_ values: [OutcomeCounts]) -> Double {
        let n = Double(values.reduce(0) { $0 + $1.known })
        guard values.count > 1, n > 0 else { return 0 }
        let successes = Double(values.reduce(0) { $0 + $1.successful })
        let failures = n - successes
        var information = 0.0
        for value in values {
            let share = Double(value.known) / n
            for (count, overall) in [(value.successful, successes), (value.failed, failures)] where count > 0 {
                let joint = Double(count) / n
                information += joint * PortableMath.ln(joint / (share * overall / n))
            }
        }
        let freedom = Double(values.count - 1)
        return max(information - (freedom + significance * (2 * freedom).squareRoot()) / (2 * n), 0)
    }

    /// The entropy (nats) of outcomes with these counts; 0 when all are alike.
    public static func entropy(_ outcomes: OutcomeCounts) -> Double {
        let n = Double(outcomes.known)
        var entropy = 0.0
        for count in [outcomes.successful, outcomes.failed] where count > 0 {
            let share = Double(count) / n
            entropy -= share * PortableMath.ln(share)
        }
        return entropy
    }

    /// Weights (at most 1) from each field's information and the entropy of the outcomes; all 1
    /// when no field told anything.
    public static func weights(_ information: [String: Double], entropy: Double) -> [String: Double] {
        guard !information.isEmpty else { return [:] }
        guard entropy > 0 else { return information.mapValues { _ in 1 } }
        let raw = information.mapValues { 1 + strength * min($0 / entropy, 1).squareRoot() }
        let largest = raw.values.max()!
        return raw.mapValues { $0 / largest }
    }
}
