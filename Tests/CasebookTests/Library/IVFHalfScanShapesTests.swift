import Foundation
import Testing

@testable import Casebook

/// A trained IVF index scans its lists from half-precision copies: searched over every list
/// (`exact`), it answers as the float32 flat scan of the same rows (scores bit for bit, the same
/// rows but among rows tied with the k-th) on the coded scan's hard shapes — near-copies, sparse,
/// norms from 1e-12 to 1e12, exact ties — two listed tenants, with and without filters.
@Suite struct IVFHalfScanShapesTests {
    @Test(arguments: CodedScanTests.Shape.allCases)
    func listsScannedFromHalvesEqualTheFloatScan(shape: CodedScanTests.Shape) throws {
        try #require(HalfScan.hasKernel, "needs AVX2 + F16C")
        var random = SplitMix64(seed: 600 + UInt64(shape.rawValue.count))
        let d = 40
        var flat = FlatIndex(dimension: d, metric: .innerProduct)
        var rows: [IndexedRow] = []
        for (tenant, count) in [("a", 3_000), ("b", 2_500)] as [(TenantID, Int)] {
            for vector in CodedScanTests.vectors(shape, count: count, dimension: d, random: &random) {
                rows.append(CodesOnlySlabTests.row(rows.count, tenant: tenant, vector: vector))
            }
        }
        flat.add(rows)
        var parameters = IVFParameters(nlist: 16, nprobe: 4, flatThreshold: 1_000)
        parameters.sampleRowsPerList = 64
        let ivf = try flat.trained(parameters) { _ in }.index
        #expect(ivf.tenantKinds.listed == 2)
        let filters = [SearchFilter(), SearchFilter(category: "b"), SearchFilter(tags: ["rare"])]
        for q in 0..<6 {
            let tenant: TenantID = q % 2 == 0 ? "a" : "b"
            let query = q < 3 ? rows[q * 401 + 3].vector.map { $0 * 0.75 } : (0..<d).map { _ in random.unit() * (q == 5 ? 1e6 : 1) }
            for k in [1, 10, 50] {
                for (f, filter) in filters.enumerated() {
                    let request = IndexQuery(tenant: tenant, vector: query, k: k, filter: filter, exact: true)
                    let got = ivf.search(request), expected = try flat.search(request, kernel: .avx2)
                    let note = "\(shape) tenant \(tenant) query \(q) k \(k) filter \(f)"
                    #expect(got.exact, "\(note): exact")
                    #expect(got.hits.map(\.score.bitPattern) == expected.hits.map(\.score.bitPattern), "\(note): scores")
                    // The same rows above the k-th score (rows of one score may come in either order:
                    // row numbers differ between the two layouts).
                    if let last = expected.hits.last?.score {
                        #expect(Set(got.hits.filter { $0.score > last }.map(\.id)) == Set(expected.hits.filter { $0.score > last }.map(\.id)),
                                "\(note): rows")
                    }
                    #expect(got.hits.allSatisfy { rows[Int($0.key)].tenant == tenant }, "\(note): another tenant's row")
                }
            }
        }
    }
}
