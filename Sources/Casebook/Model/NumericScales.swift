/// `hashed-v2`'s embedder state: each numeric context field's mean and standard deviation in the
/// collection when it was fitted. hashed-v2 places a number by its distance from the mean in
/// deviations (as a k-nearest-neighbour search on standardized fields does), so 265 and 180
/// minutes are far apart when most customers talk between 150 and 200, whatever the field's unit.
///
/// Stored with the collection (JSON, shown by `casebook info --json`); the vectors depend on it,
/// so it changes only through a re-embedding that rewrites them all (`casebook reembed`).
///
/// Scales are per tenant: one tenant's numbers never move another's vectors. A tenant that had no
/// precedents at the last fit (or a field it had too few values of) has its numbers bucketed as in
/// hashed-v1 until the next re-embedding.
///
/// The state also holds each tenant's context field weights (``fieldWeights``): how much a
/// field's values told the tenant's known outcomes apart when it was fitted. A state without them
/// (fitted before they existed, or a tenant with too few known outcomes) weighs every field alike.
public struct NumericScales: Sendable, Hashable, Codable {
    /// 0 before the first fit, then one more per re-embedding.
    public var version: Int
    /// Per tenant, fields by their path as featurized: normalised keys joined by ".", e.g.
    /// `order.value`.
    public var tenants: [String: [String: NumericScale]]
    /// Per tenant, each context field's weight by its path (as in ``tenants``), at most 1: what
    /// the field's features are multiplied by. A field missing from a tenant's weights (one first
    /// seen after the fit) weighs the mean of that tenant's weights.
    public var fieldWeights: [String: [String: Double]]

    public init(
        version: Int = 0, tenants: [String: [String: NumericScale]] = [:], fieldWeights: [String: [String: Double]] = [:]
    ) {
        self.version = version
        self.tenants = tenants
        self.fieldWeights = fieldWeights
    }

    private enum CodingKeys: String, CodingKey { case version, tenants, fieldWeights }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        tenants = try container.decode([String: [String: NumericScale]].self, forKey: .tenants)
        fieldWeights = try container.decodeIfPresent([String: [String: Double]].self, forKey: .fieldWeights) ?? [:]
    }

    /// `fieldWeights` is left out when empty, so a state without them is stored as before.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encode(tenants, forKey: .tenants)
        if !fieldWeights.isEmpty { try container.encode(fieldWeights, forKey: .fieldWeights) }
    }

    /// Fields with fewer fitted values than this get no scale (their numbers are bucketed as in
    /// hashed-v1).
    public static let minimumValues = 8
}

/// One field's distribution as fitted.
public struct NumericScale: Sendable, Hashable, Codable {
    /// How many values were fitted.
    public var count: Int
    public var mean: Double
    /// The standard deviation (population), never 0.
    public var deviation: Double

    public init(count: Int, mean: Double, deviation: Double) {
        self.count = count
        self.mean = mean
        self.deviation = deviation
    }

    /// The scale of these values (finite ones only); nil when fewer than
    /// ``NumericScales/minimumValues`` remain or all are equal.
    public static func fit(_ values: [Double]) -> NumericScale? {
        let finite = values.filter(\.isFinite)
        guard finite.count >= NumericScales.minimumValues else { return nil }
        let n = Double(finite.count)
        let mean = finite.reduce(0, +) / n
        let deviation = (finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
        guard deviation > 0, deviation.isFinite else { return nil }
        return NumericScale(count: finite.count, mean: mean, deviation: deviation)
    }

    /// Deviations from the mean.
    public func standardized(_ x: Double) -> Double { (x - mean) / deviation }
}
