import Foundation
import Testing

@testable import Casebook

/// The IVF index (not yet wired into collections) against the flat index and brute force: all
/// lists probed equals exact search, recall rises with nprobe, a selective filter widens to an
/// exact answer, tenants stay apart, and adds, updates and deletes after training keep it right.
@Suite struct IVFIndexTests {
    static let dimension = 16

    /// Clustered rows over three tenants (one small), with categories and tags to filter on.
    static func rows(count: Int, seed: UInt64, metric: Metric) -> [IndexedRow] {
        var random = SplitMix64(seed: seed)
        let centers = (0..<(20 * dimension)).map { _ in random.unit() * 4 }
        return (0..<count).map { i in
            let center = Int(random.next() % 20)
            var vector = (0..<dimension).map { centers[center * dimension + $0] + random.unit() }
            if metric == .cosine {
                let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
                vector = vector.map { $0 / norm }
            }
            let tenant: TenantID = i % 10 == 0 ? "small" : (i % 2 == 0 ? "a" : "b")
            return IndexedRow(
                tenant: tenant, id: PrecedentID("r\(i)"), key: Int64(i), vector: vector,
                category: i % 200 == 1 ? "rare" : "common", tags: i % 3 == 0 ? ["x"] : [],
                wasSuccessful: i % 4 == 0, createdAt: Double(i))
        }
    }

    static func build(_ rows: [IndexedRow], metric: Metric, nlist: Int = 16) throws -> (IVFIndex, FlatIndex) {
        var ivf = IVFIndex(dimension: dimension, metric: metric, nlist: nlist, nprobe: 2, flatThreshold: 100)
        var flat = FlatIndex(dimension: dimension, metric: metric)
        ivf.add(rows)
        flat.add(rows)
        try ivf.train()
        return (ivf, flat)
    }

    static func queries(_ count: Int, seed: UInt64) -> [[Float]] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in (0..<dimension).map { _ in random.unit() * 4 } }
    }

    @Test(arguments: [Metric.innerProduct, .cosine, .l2])
    func allListsProbedEqualsFlat(metric: Metric) throws {
        let (ivf, flat) = try Self.build(Self.rows(count: 3_000, seed: 1, metric: metric), metric: metric)
        #expect(ivf.isTrained && ivf.count == 3_000)
        let filters = [SearchFilter(), SearchFilter(tags: ["x"]), SearchFilter(category: "rare"), SearchFilter(wasSuccessful: true)]
        for vector in Self.queries(20, seed: 2) {
            for tenant in ["a", "b", "small", "nobody"] as [TenantID] {
                for filter in filters {
                    let query = IndexQuery(tenant: tenant, vector: vector, k: 10, filter: filter, nprobe: 16)
                    let got = ivf.search(query)
                    let expected = try flat.search(query)
                    #expect(got.hits.map(\.id) == expected.hits.map(\.id))
                    #expect(got.hits.map(\.score) == expected.hits.map(\.score))
                    #expect(got.exact)
                }
            }
        }
    }

    @Test func recallRisesWithNprobe() throws {
        let (ivf, flat) = try Self.build(Self.rows(count: 4_000, seed: 3, metric: .innerProduct), metric: .innerProduct, nlist: 32)
        var recalls: [Double] = []
        for nprobe in [1, 2, 4, 8, 16, 32] {
            var hits = 0, total = 0
            for vector in Self.queries(50, seed: 4) {
                let truth = Set(try flat.search(IndexQuery(tenant: "a", vector: vector, k: 10, filter: SearchFilter())).hits.map(\.id))
                let answer = ivf.search(IndexQuery(tenant: "a", vector: vector, k: 10, filter: SearchFilter(), nprobe: nprobe))
                #expect(answer.probed == nprobe && answer.exact == (nprobe == 32))
                hits += answer.hits.filter { truth.contains($0.id) }.count
                total += truth.count
            }
            recalls.append(Double(hits) / Double(total))
        }
        for (lower, higher) in zip(recalls, recalls.dropFirst()) { #expect(higher >= lower) }
        #expect(recalls.last == 1 && recalls.first! < 1)
    }

    @Test func selectiveFilterWidensToTheExactAnswer() throws {
        let (ivf, flat) = try Self.build(Self.rows(count: 4_000, seed: 5, metric: .innerProduct), metric: .innerProduct, nlist: 32)
        // "rare" is 0.5% of the rows; with one list probed the filter would find too few.
        for vector in Self.queries(20, seed: 6) {
            let query = IndexQuery(tenant: "b", vector: vector, k: 5, filter: SearchFilter(category: "rare"), nprobe: 1)
            let answer = ivf.search(query)
            let exact = try flat.search(query)
            #expect(answer.hits.map(\.id) == exact.hits.map(\.id))
            #expect(answer.exact && answer.probed == 32)
        }
    }

    @Test func tenantsNeverMix() throws {
        let rows = Self.rows(count: 2_000, seed: 7, metric: .innerProduct)
        let (ivf, _) = try Self.build(rows, metric: .innerProduct)
        let owner = Dictionary(uniqueKeysWithValues: rows.map { ($0.id, $0.tenant) })
        for vector in Self.queries(10, seed: 8) {
            for tenant in ["a", "b", "small"] as [TenantID] {
                for nprobe in [1, 16] {
                    let answer = ivf.search(IndexQuery(tenant: tenant, vector: vector, k: 1_000, filter: SearchFilter(), nprobe: nprobe))
                    #expect(answer.hits.allSatisfy { owner[$0.id] == tenant })
                }
            }
            #expect(ivf.search(IndexQuery(tenant: "nobody", vector: vector, k: 10, filter: SearchFilter())).hits.isEmpty)
        }
    }

    @Test func addsUpdatesAndDeletesAfterTrainingStayExact() throws {
        var rows = Self.rows(count: 3_000, seed: 9, metric: .l2)
        var (ivf, flat) = try Self.build(Array(rows.prefix(2_000)), metric: .l2)
        let later = Array(rows[2_000...])
        ivf.add(later)
        flat.add(later)
        #expect(ivf.addedSinceTraining == 1_000)
        for i in stride(from: 0, to: 3_000, by: 7) {
            ivf.remove(tenant: rows[i].tenant, id: rows[i].id)
            flat.remove(tenant: rows[i].tenant, id: rows[i].id)
        }
        for i in stride(from: 1, to: 3_000, by: 11) where i % 7 != 0 {
            rows[i].vector = rows[i].vector.map { -$0 }
            rows[i].category = "rare"
            ivf.update(rows[i])
            flat.update(rows[i])
        }
        #expect(ivf.count == flat.count)
        for vector in Self.queries(20, seed: 10) {
            for tenant in ["a", "b", "small"] as [TenantID] {
                let query = IndexQuery(tenant: tenant, vector: vector, k: 10, filter: SearchFilter(), nprobe: 16)
                #expect(ivf.search(query).hits.map(\.id) == (try flat.search(query)).hits.map(\.id))
                // Updated rows moved lists and changed category: found where they now are.
                let rare = IndexQuery(tenant: tenant, vector: vector, k: 10, filter: SearchFilter(category: "rare"), nprobe: 16)
                #expect(ivf.search(rare).hits.map(\.id) == (try flat.search(rare)).hits.map(\.id))
            }
        }
        // Retraining files everything again, with the same answers at full probe.
        try ivf.train()
        #expect(ivf.addedSinceTraining == 0)
        let vector = Self.queries(1, seed: 11)[0]
        let query = IndexQuery(tenant: "a", vector: vector, k: 10, filter: SearchFilter(), exact: true)
        #expect(ivf.search(query).hits.map(\.id) == (try flat.search(query)).hits.map(\.id))
    }

    @Test func aTenantThatGrowsPastTheThresholdGetsLists() throws {
        var rows = Self.rows(count: 2_000, seed: 13, metric: .innerProduct)
        for i in rows.indices where rows[i].tenant == "small" { rows[i].tenant = "grower" }
        let growerRows = rows.filter { $0.tenant == "grower" }
        let others = rows.filter { $0.tenant != "grower" }
        var ivf = IVFIndex(dimension: Self.dimension, metric: .innerProduct, nlist: 16, nprobe: 2, flatThreshold: 100)
        var flat = FlatIndex(dimension: Self.dimension, metric: .innerProduct)
        ivf.add(others + growerRows.prefix(50))
        flat.add(others + growerRows.prefix(50))
        try ivf.train()
        #expect(ivf.tenantRows["grower"]?.isListed == false)
        ivf.add(Array(growerRows.dropFirst(50)))
        flat.add(Array(growerRows.dropFirst(50)))
        #expect(ivf.tenantRows["grower"]?.isListed == true && ivf.count(tenant: "grower") == growerRows.count)
        for vector in Self.queries(10, seed: 14) {
            let query = IndexQuery(tenant: "grower", vector: vector, k: 10, filter: SearchFilter(), nprobe: 16)
            #expect(ivf.search(query).hits.map(\.id) == (try flat.search(query)).hits.map(\.id))
        }
    }

    @Test func untrainedAndTooSmallToTrain() throws {
        var ivf = IVFIndex(dimension: Self.dimension, metric: .innerProduct, nlist: 64, nprobe: 2, flatThreshold: 10)
        let rows = Self.rows(count: 40, seed: 12, metric: .innerProduct)
        ivf.add(rows)
        var flat = FlatIndex(dimension: Self.dimension, metric: .innerProduct)
        flat.add(rows)
        #expect(!ivf.isTrained)
        let query = IndexQuery(tenant: "a", vector: rows[2].vector, k: 3, filter: SearchFilter(), nprobe: 1)
        let answer = ivf.search(query)
        let expected = try flat.search(query)
        #expect(answer.exact && answer.probed == 0 && answer.hits.map(\.id) == expected.hits.map(\.id))
        #expect(throws: CasebookError.self) { try ivf.train() }
    }

    /// Rows that differ from each other by less than half precision can resolve: the half scan's
    /// approximate order is wrong among them, yet its answer must equal the float32 scan's, ids and
    /// scores, for k from 1 to past the slab size.
    @Test(arguments: [Metric.innerProduct, .cosine])
    func halfScanEqualsTheFloatScan(metric: Metric) throws {
        try #require(HalfScan.hasKernel, "needs AVX2 + F16C")
        var random = SplitMix64(seed: 21)
        let d = 40
        var slab = TenantSlab(dimension: d, keepsNorms: false, keepsHalves: true)
        var bases: [[Float]] = (0..<30).map { _ in (0..<d).map { _ in random.unit() } }
        if metric == .cosine {
            bases = bases.map { v in let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot(); return v.map { $0 / n } }
        }
        for i in 0..<600 {
            // 20 near-copies of each base vector, nudged by ~1e-5: below half's resolution.
            let vector = bases[i % 30].map { $0 * (1 + 1e-5 * random.unit()) }
            slab.append(vector: vector, key: Int64(i), id: PrecedentID("r\(i)"), category: 0, success: -1, createdAt: 0, tags: [])
        }
        #expect(slab.hasUsableHalves && slab._checkInvariants())
        for q in 0..<20 {
            let query = q < 10 ? bases[q].map { $0 * 1.5 } : (0..<d).map { _ in random.unit() }
            for k in [1, 5, 10, 25, 700] {
                var float32 = TopK(k: min(k, slab.count))
                SlabScan.scan(slab, query: query, metric: metric, filter: RowFilter(SearchFilter(), vocabulary: AttributeVocabulary(), slab: slab),
                              kernel: .avx2, rowBase: 0, into: &float32)
                var half = TopK(k: min(k, slab.count))
                var scanned = ScannedLists(capacity: 1)
                scanned.append(0, count: slab.count)
                HalfScan.scan([slab], scanned: scanned, query: query, into: &half)
                let expected = float32.sortedDescending(), got = half.sortedDescending()
                // Same scores bit for bit; the same rows except among rows tied exactly with the
                // k-th (which of those a heap keeps depends on the order they were offered).
                #expect(got.map(\.similarity) == expected.map(\.similarity))
                let last = expected.last!.similarity
                #expect(got.filter { $0.similarity > last }.map(\.row) == expected.filter { $0.similarity > last }.map(\.row))
            }
        }
        // A value beyond half's range makes the copy unusable rather than wrong.
        slab.append(vector: [70_000] + Array(repeating: 0, count: d - 1), key: 999, id: "big", category: 0, success: -1, createdAt: 0, tags: [])
        #expect(!slab.hasUsableHalves)
    }

    /// Limits.maxOpenCells: past it a tenant keeps one slab and is searched exactly; a listed
    /// tenant that disappears frees its cells for the next one that grows.
    @Test func cellLimitKeepsTenantsFlatAndExact() throws {
        var ivf = IVFIndex(dimension: Self.dimension, metric: .l2, nlist: 16, nprobe: 1, flatThreshold: 100)
        ivf.maxOpenCells = 2 * 16
        var flat = FlatIndex(dimension: Self.dimension, metric: .l2)
        let base = Self.rows(count: 1_500, seed: 9, metric: .l2)
        let rows = base.enumerated().map { i, row in
            var row = row
            row.tenant = TenantID("t\(i % 5)")
            return row
        }
        ivf.add(rows)
        flat.add(rows)
        try ivf.train()
        #expect(ivf.tenantKinds.listed == 2 && ivf.tenantKinds.flat == 3 && ivf.tenantKinds.overCellLimit == 3)
        #expect(ivf._checkInvariants())
        for vector in Self.queries(5, seed: 10) {
            for tenant in (0..<5).map({ TenantID("t\($0)") }) {
                let query = IndexQuery(tenant: tenant, vector: vector, k: 10, filter: SearchFilter(), nprobe: 1)
                let got = ivf.search(query)
                if ivf.tenantKinds.listed < 5, !got.exact { continue }  // a listed tenant: approximate
                #expect(got.hits.map(\.id) == (try flat.search(query)).hits.map(\.id))
            }
        }
        let listed = (0..<5).map { TenantID("t\($0)") }.filter { tenant in
            !ivf.search(IndexQuery(tenant: tenant, vector: Self.queries(1, seed: 11)[0], k: 1, filter: SearchFilter(), nprobe: 1)).exact
        }
        #expect(listed.count == 2)
        // Empty one listed tenant: its cells are freed, and the next tenant that grows is listed.
        for row in rows where row.tenant == listed[0] { ivf.remove(tenant: row.tenant, id: row.id) }
        #expect(ivf.tenantKinds.listed == 1)
        let grower = (0..<5).map { TenantID("t\($0)") }.first { $0 != listed[0] && !listed.contains($0) }!
        var extra = rows[0]
        (extra.tenant, extra.id, extra.key) = (grower, "extra", 99_999)
        ivf.add([extra])
        #expect(ivf.tenantKinds.listed == 2 && ivf.tenantKinds.overCellLimit == 2)
        #expect(ivf._checkInvariants())
        // Retrained with twice the lists: only one tenant's cells fit now.
        ivf.parameters.nlist = 32
        try ivf.train()
        #expect(ivf.nlist == 32 && ivf.tenantKinds.listed == 1 && ivf.tenantKinds.overCellLimit == 3)
        #expect(ivf._checkInvariants())
    }
}
