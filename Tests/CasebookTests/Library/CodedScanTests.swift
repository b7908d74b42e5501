import CasebookKernels
import Foundation
import Testing

@testable import Casebook

/// The flat scan from int8 codes (`CodedScan`) answers exactly as the float32 scan: the same
/// scores bit for bit and the same rows (but among rows tied with the k-th), on data where the
/// codes' approximate order is wrong — near-copies, near-ties, huge and tiny norms, sparse rows —
/// after updates and removals, and through the flat index against a brute force written here.
@Suite struct CodedScanTests {
    enum Shape: String, CaseIterable, CustomTestStringConvertible {
        case random, nearCopies, sparse, wideNorms, ties
        var testDescription: String { rawValue }
    }

    static func vectors(_ shape: Shape, count: Int, dimension d: Int, random: inout SplitMix64) -> [[Float]] {
        let bases: [[Float]] = (0..<40).map { _ in (0..<d).map { _ in random.unit() } }
        return (0..<count).map { i in
            switch shape {
            case .random:
                return (0..<d).map { _ in random.unit() }
            case .nearCopies:
                // Copies nudged by ~1e-6: far below an int8 code's resolution.
                return bases[i % 40].map { $0 * (1 + 1e-6 * random.unit()) }
            case .sparse:
                // A hashed vector's shape: most elements zero, a few of mixed size.
                return (0..<d).map { _ in random.next() % 6 == 0 ? random.unit() * Float(1 + random.next() % 4) : 0 }
            case .wideNorms:
                // Norms from 1e-12 to 1e12: the scores span 24 orders of magnitude.
                let scale = Float(pow(10.0, Double(Int(random.next() % 25) - 12)))
                return (0..<d).map { _ in random.unit() * scale }
            case .ties:
                // Exact duplicates: many rows share each score.
                return bases[i % 7]
            }
        }
    }

    static func float32Top(_ slab: TenantSlab, _ query: [Float], k: Int, filter: RowFilter) -> [(similarity: Float, row: Int32)] {
        var top = TopK(k: min(k, slab.count))
        SlabScan.scan(slab, query: query, metric: .innerProduct, filter: filter, kernel: .avx2, rowBase: 0, into: &top)
        return top.sortedDescending().map { ($0.similarity, $0.row) }
    }

    static func expectSame(_ got: [(similarity: Float, row: Int32)], _ expected: [(similarity: Float, row: Int32)], _ note: String) {
        #expect(got.map(\.similarity.bitPattern) == expected.map(\.similarity.bitPattern), "\(note): scores")
        guard let last = expected.last?.similarity else { return }
        // Which of several rows tied exactly with the k-th a heap keeps depends on the order offered.
        #expect(got.filter { $0.similarity > last }.map(\.row) == expected.filter { $0.similarity > last }.map(\.row), "\(note): rows")
    }

    @Test(arguments: Shape.allCases)
    func codedScanEqualsTheFloatScan(shape: Shape) throws {
        try #require(CodedScan.hasKernel, "needs AVX2")
        var random = SplitMix64(seed: 4_000 + UInt64(shape.rawValue.count))
        let d = 48
        var slab = TenantSlab(dimension: d, keepsNorms: false, keepsCodes: true)
        var rows = Self.vectors(shape, count: 5_000, dimension: d, random: &random)
        // Three categories: a filter on one passes a third of the rows (not selective enough for
        // the float32 prefilter, so the coded scan checks it per row).
        var vocabulary = AttributeVocabulary()
        let categories = ["a", "b", "c"].map { name in
            vocabulary.textCodes(PrecedentField.filterableTexts.map { $0 == .category ? name : nil })[
                PrecedentField.filterableTexts.firstIndex(of: .category)!]
        }
        for (i, vector) in rows.enumerated() {
            slab.append(vector: vector, key: Int64(i), id: PrecedentID("r\(i)"), category: categories[i % 3], success: -1,
                        createdAt: 0, tags: [])
        }
        // Updates and removals keep the codes beside the vectors.
        for i in stride(from: 0, to: 200, by: 7) {
            rows[i] = rows[(i * 31) % rows.count].map { -$0 }
            slab.replace(row: i, vector: rows[i], texts: PrecedentField.filterableTexts.map { _ in AttributeVocabulary.none },
                         success: -1, createdAt: 0, tags: [])
        }
        for _ in 0..<150 { slab.remove(row: Int(random.next() % UInt64(slab.count))) }
        #expect(slab._checkInvariants() && slab.hasUsableCodes && slab.count >= CodedScan.minimumRows)
        let queries = (0..<12).map { q -> [Float] in
            q < 6 ? rows[q * 101].map { $0 * 1.25 } : (0..<d).map { _ in random.unit() * (q == 11 ? 1e9 : 1) }
        }
        let filters = [SearchFilter(), SearchFilter(category: "b")].map {
            RowFilter($0, vocabulary: vocabulary, slab: slab)
        }
        #expect(filters[0].isTrivial && !filters[1].isTrivial && !filters[1].matchesNothing)
        for (q, query) in queries.enumerated() {
            for k in [1, 10, 100, 6_000] {
                for (f, filter) in filters.enumerated() {
                    var coded = TopK(k: min(k, slab.count))
                    #expect(try CodedScan.scan(slab, query: query, filter: filter, reader: nil, into: &coded) == .exact)
                    let expected = Self.float32Top(slab, query, k: k, filter: filter)
                    Self.expectSame(coded.sortedDescending().map { ($0.similarity, $0.row) }, expected,
                                    "\(shape) query \(q) k \(k) filter \(f)")
                    if f == 1 {
                        let width = AttributeVocabulary.textWidth
                        let field = PrecedentField.filterableTexts.firstIndex(of: .category)!
                        #expect(coded.sortedDescending().allSatisfy { slab.textCodes[Int($0.row) * width + field] == categories[1] })
                    }
                }
            }
        }
    }

    /// The coder (AVX2 where the CPU has it) gives each value round-half-even of x / s, s =
    /// max|x| / 127, as this test computes it, with the norm and residual in double.
    @Test func codesAreRoundedQuotients() {
        var random = SplitMix64(seed: 12)
        for d in [1, 7, 8, 37, 64, 1_024] {
            for trial in 0..<20 {
                var x = (0..<d).map { _ in random.next() % 4 == 0 ? 0 : random.unit() * Float(1 + random.next() % 100) }
                if trial == 0 { x = [Float](repeating: 0, count: d) }
                let largest = x.map(abs).max()!
                let scale = largest / 127
                // Exact halves between codes, which round to even.
                if trial == 1, scale > 0 { for j in stride(from: 0, to: d, by: 3) { x[j] = (Float(j % 50) + 0.5) * scale } }
                let s = x.map(abs).max()! / 127
                var codes = [Int8](repeating: 99, count: d)
                var norm = 0.0, error = 0.0
                let got = cb_quantize_i8(x, d, &codes, &norm, &error)
                #expect(got == s, "d \(d) trial \(trial)")
                let expected = x.map { value -> Int8 in
                    s > 0 ? Int8(max(-127, min(127, (value / s).rounded(.toNearestOrEven)))) : 0
                }
                #expect(codes == expected, "d \(d) trial \(trial)")
                let length = x.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                let residual = zip(x, expected).reduce(0.0) { sum, pair in
                    let r = Double(pair.0) - Double(s) * Double(pair.1)
                    return sum + r * r
                }.squareRoot()
                #expect(abs(norm - length) <= 1e-12 * max(length, 1) && abs(error - residual) <= 1e-12 * max(length, 1))
            }
        }
    }

    /// A row beyond the codes' range makes them unusable (the float32 scan serves) rather than wrong.
    @Test func aHugeRowRetiresTheCodes() throws {
        var slab = TenantSlab(dimension: 4, keepsNorms: false, keepsCodes: true)
        slab.append(vector: [1, 0, 0, 0], key: 1, id: "a", category: 0, success: -1, createdAt: 0, tags: [])
        #expect(slab.hasUsableCodes)
        slab.append(vector: [1e30, 0, 0, 0], key: 2, id: "b", category: 0, success: -1, createdAt: 0, tags: [])
        #expect(!slab.hasUsableCodes)
    }

    /// Through the flat index, three tenants of 5,000 rows (cosine): every search, with and
    /// without a filter, equals a brute force over the tenant's own rows.
    @Test func flatIndexSearchesEqualBruteForce() throws {
        try #require(CodedScan.hasKernel, "needs AVX2")
        var random = SplitMix64(seed: 77)
        let d = 32
        var index = FlatIndex(dimension: d, metric: .cosine)
        var byTenant: [TenantID: [(id: PrecedentID, vector: [Float], even: Bool)]] = [:]
        var rows: [IndexedRow] = []
        for i in 0..<15_000 {
            let tenant = TenantID("t\(i % 3)")
            var vector = (0..<d).map { _ in random.next() % 3 == 0 ? random.unit() : 0 }
            vector[i % d] += 0.5
            let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            vector = vector.map { $0 / norm }
            let even = (i / 3) % 2 == 0
            byTenant[tenant, default: []].append((PrecedentID("r\(i)"), vector, even))
            rows.append(IndexedRow(tenant: tenant, id: PrecedentID("r\(i)"), key: Int64(i), vector: vector,
                                   texts: PrecedentField.filterableTexts.map { $0 == .category ? (even ? "even" : "odd") : nil },
                                   tags: [], wasSuccessful: nil, createdAt: 0))
        }
        index.add(rows)
        for q in 0..<10 {
            let tenant = TenantID("t\(q % 3)")
            var query = (0..<d).map { _ in random.unit() }
            let norm = query.reduce(0) { $0 + $1 * $1 }.squareRoot()
            query = query.map { $0 / norm }
            // Every other query filtered to half the tenant's rows (checked per row, not prefiltered).
            let filtered = q % 2 == 1
            let answer = try index.search(IndexQuery(
                tenant: tenant, vector: query, k: 10, filter: filtered ? SearchFilter(category: "even") : SearchFilter()))
            let brute = byTenant[tenant]!.filter { !filtered || $0.even }.map { row in
                (row.id, zip(row.vector, query).reduce(Float(0)) { $0 + $1.0 * $1.1 })
            }.sorted { $0.1 > $1.1 }
            #expect(answer.exact && answer.hits.count == 10)
            for (hit, expected) in zip(answer.hits, brute.prefix(10)) {
                #expect(abs(hit.score - expected.1) <= 1e-5, "query \(q): \(hit.id) \(hit.score) vs \(expected.0) \(expected.1)")
            }
            #expect(Set(answer.hits.map(\.id)).isSubset(of: Set(byTenant[tenant]!.map(\.id))), "another tenant's row")
        }
    }
}
