/// hashed-v2's numeric scales per tenant, each tenant's keyed by the MurmurHash3 of the field's
/// path bytes, so the featurizer finds a field's scale from the path it is already holding
/// without making a String.
final class ScaleTable: Sendable {
    private let tenants: [TenantID: [UInt32: NumericScale]]

    init(_ scales: NumericScales) {
        var tenants: [TenantID: [UInt32: NumericScale]] = [:]
        for (tenant, fields) in scales.tenants {
            var table: [UInt32: NumericScale] = [:]
            for (path, scale) in fields { table[MurmurHash3.x86_32(path)] = scale }
            tenants[TenantID(rawValue: tenant)] = table
        }
        self.tenants = tenants
    }

    /// One tenant's scales (nil: none fitted).
    func fields(of tenant: TenantID?) -> [UInt32: NumericScale]? {
        guard let tenant else { return nil }
        return tenants[tenant]
    }

    static func scale(in fields: [UInt32: NumericScale], path: [UInt8]) -> NumericScale? {
        path.withUnsafeBytes { fields[MurmurHash3.x86_32($0)] }
    }

    /// Bins over ±``range`` deviations: chosen on four real decision tables (benchmarks/RESULTS.md,
    /// Retrieval quality) among rank and deviation binnings at several widths.
    static let bins = 8
    static let range = 3.0
    static let binNames = (0..<bins).map(String.init)
}
