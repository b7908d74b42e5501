/// hashed-v2's numeric scales and field weights per tenant, each tenant's keyed by the MurmurHash3
/// of the field's path bytes, so the featurizer finds a field's scale or weight from the path it is
/// already holding without making a String.
final class ScaleTable: Sendable {
    private let tenants: [TenantID: [UInt32: NumericScale]]
    private let weights: [TenantID: FieldWeightTable]

    /// One tenant's field weights and the weight of a field they do not name.
    struct FieldWeightTable: Sendable {
        let fields: [UInt32: Double]
        let unnamed: Double

        func weight(of path: [UInt8]) -> Double {
            path.withUnsafeBytes { fields[MurmurHash3.x86_32($0)] } ?? unnamed
        }
    }

    init(_ scales: NumericScales) {
        var tenants: [TenantID: [UInt32: NumericScale]] = [:]
        for (tenant, fields) in scales.tenants {
            var table: [UInt32: NumericScale] = [:]
            for (path, scale) in fields { table[MurmurHash3.x86_32(path)] = scale }
            tenants[TenantID(rawValue: tenant)] = table
        }
        var weights: [TenantID: FieldWeightTable] = [:]
        for (tenant, fields) in scales.fieldWeights where !fields.isEmpty {
            var table: [UInt32: Double] = [:]
            for (path, weight) in fields { table[MurmurHash3.x86_32(path)] = weight }
            // Summed in path order: the same bits whatever order the dictionary holds them in.
            let mean = fields.sorted { $0.key < $1.key }.reduce(0) { $0 + $1.value } / Double(fields.count)
            weights[TenantID(rawValue: tenant)] = FieldWeightTable(fields: table, unnamed: mean)
        }
        self.tenants = tenants
        self.weights = weights
    }

    /// One tenant's scales (nil: none fitted).
    func fields(of tenant: TenantID?) -> [UInt32: NumericScale]? {
        guard let tenant else { return nil }
        return tenants[tenant]
    }

    /// One tenant's field weights (nil: every field weighs 1).
    func fieldWeights(of tenant: TenantID?) -> FieldWeightTable? {
        guard let tenant else { return nil }
        return weights[tenant]
    }

    static func scale(in fields: [UInt32: NumericScale], path: [UInt8]) -> NumericScale? {
        path.withUnsafeBytes { fields[MurmurHash3.x86_32($0)] }
    }

    /// Bins over ±``range`` deviations: chosen on four real decision tables (benchmarks/RESULTS.md,
    /// Retrieval quality) among rank and deviation binnings at several widths.
    static let bins = 8
    static let range = 3.0
    static let binNames = (0..<bins).map(String.init)

    /// Where `z` deviations fall among the bin centres, which sit at -range + (i + 0.5)·width:
    /// 0 at the first centre, `bins - 1` at the last, clamped beyond them.
    static func binPosition(_ z: Double) -> Double {
        let clipped = min(max(z, -range), range)
        return min(max((clipped + range) / (2 * range) * Double(bins) - 0.5, 0), Double(bins - 1))
    }

    /// The bin that holds most of a value's weight (the lower one on a tie).
    static func nearestBin(_ z: Double) -> Int {
        let at = binPosition(z)
        let lower = at.rounded(.down)
        return Int(lower) + (at - lower > 0.5 ? 1 : 0)
    }
}
