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
///
/// ``fitted`` records what each tenant's fit was made from, so that a tenant added since, or one
/// that has grown well past its fit, can be found and fitted again on its own
/// (`casebook reembed --stale`).
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
    /// Per tenant, how many precedents and known outcomes it had when it was last fitted; a tenant
    /// missing here has never been fitted (or was fitted before this was recorded).
    public var fitted: [String: TenantFitBasis]

    public init(
        version: Int = 0, tenants: [String: [String: NumericScale]] = [:], fieldWeights: [String: [String: Double]] = [:],
        fitted: [String: TenantFitBasis] = [:]
    ) {
        self.version = version
        self.tenants = tenants
        self.fieldWeights = fieldWeights
        self.fitted = fitted
    }

    private enum CodingKeys: String, CodingKey { case version, tenants, fieldWeights, fitted }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        tenants = try container.decode([String: [String: NumericScale]].self, forKey: .tenants)
        fieldWeights = try container.decodeIfPresent([String: [String: Double]].self, forKey: .fieldWeights) ?? [:]
        fitted = try container.decodeIfPresent([String: TenantFitBasis].self, forKey: .fitted) ?? [:]
    }

    /// `fieldWeights` and `fitted` are left out when empty, so a state without them is stored as
    /// before.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encode(tenants, forKey: .tenants)
        if !fieldWeights.isEmpty { try container.encode(fieldWeights, forKey: .fieldWeights) }
        if !fitted.isEmpty { try container.encode(fitted, forKey: .fitted) }
    }

    /// This state with `tenants`' scales, weights and fit records taken from `refit` (a tenant
    /// `refit` has nothing for loses what it had), every other tenant's kept, as `refit`'s version.
    public func replacing(_ tenants: Set<TenantID>, with refit: NumericScales) -> NumericScales {
        var merged = self
        merged.version = refit.version
        for tenant in tenants.map(\.rawValue) {
            merged.tenants[tenant] = refit.tenants[tenant]
            merged.fieldWeights[tenant] = refit.fieldWeights[tenant]
            merged.fitted[tenant] = refit.fitted[tenant]
        }
        return merged
    }

    /// Whether a tenant with `precedents` precedents, `knownOutcomes` of them of known outcome,
    /// has outgrown its fit: never fitted and with enough values for a scale, or with twice the
    /// precedents or known outcomes of its fit (and enough outcomes to be weighed). Doubling keeps
    /// the work of fitting again as a tenant grows at most about twice its size in all.
    public func isStale(_ tenant: TenantID, precedents: Int, knownOutcomes: Int) -> Bool {
        let basis = fitted[tenant.rawValue] ?? TenantFitBasis(precedents: 0, knownOutcomes: 0)
        return precedents >= max(2 * basis.precedents, Self.minimumValues)
            || knownOutcomes >= max(2 * basis.knownOutcomes, Self.minimumOutcomesToWeigh)
    }

    /// Fields with fewer fitted values than this get no scale (their numbers are bucketed as in
    /// hashed-v1).
    public static let minimumValues = 8
    /// Known outcomes a tenant needs before its fields are weighed (``FieldWeighting``'s minimum,
    /// kept here so that the model layer can tell a stale fit without it).
    public static let minimumOutcomesToWeigh = 30
}

/// What one tenant's fit was made from.
public struct TenantFitBasis: Sendable, Hashable, Codable {
    public var precedents: Int
    public var knownOutcomes: Int

    public init(precedents: Int, knownOutcomes: Int) {
        self.precedents = precedents
        self.knownOutcomes = knownOutcomes
    }

    static func + (a: TenantFitBasis, b: TenantFitBasis) -> TenantFitBasis {
        TenantFitBasis(precedents: a.precedents + b.precedents, knownOutcomes: a.knownOutcomes + b.knownOutcomes)
    }

    mutating func record(knownOutcome: Bool) {
        precedents += 1
        if knownOutcome { knownOutcomes += 1 }
    }
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
