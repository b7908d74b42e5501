import Foundation
import Testing

@testable import Casebook

/// A flat index given a store to read from keeps large slabs as int8 codes only, and answers as
/// the float32 scan does: scores bit for bit, the same rows (but among rows tied with the k-th),
/// on the coded scan's hard shapes, with filters, tenants, updates and removals. A row the store
/// rewrote behind the index's back makes the answer say it is not exact; a deleted one drops out.
@Suite struct CodesOnlySlabTests {
    /// The store's side, written here: each key's vector in its stored layout, changed at will.
    final class Vectors: StoredVectorReader, @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [Int64: Data] = [:]
        private(set) var reads = 0
        /// Store queries made (one per `forEachVector`).
        private(set) var queries = 0
        /// Every key asked for, in order.
        private(set) var keysAsked: [Int64] = []
        var failing = false
        var isLocal = true

        func put(_ key: Int64, _ vector: [Float]) { lock.withLock { stored[key] = VectorBlob.encodeStored(vector) } }
        func delete(_ key: Int64) { _ = lock.withLock { stored.removeValue(forKey: key) } }

        func forEachVector(keys: [Int64], _ body: (Int64, UnsafeRawBufferPointer) -> Void) throws(CasebookError) {
            let found = lock.withLock { () -> [(Int64, Data)] in
                reads += keys.count
                queries += 1
                keysAsked += keys
                return keys.compactMap { key in stored[key].map { (key, $0) } }
            }
            if failing { throw .storage(code: 10, message: "disk I/O error") }
            for (key, data) in found { data.withUnsafeBytes { body(key, $0) } }
        }
    }

    /// The same rows in an index keeping float32 rows (the reference) and in one keeping codes only.
    struct Pair {
        var kept: FlatIndex
        var coded: FlatIndex
        let store = Vectors()

        init(dimension: Int, metric: Metric, floatBudget: Int = CodedScan.floatBudget) {
            kept = FlatIndex(dimension: dimension, metric: metric)
            coded = FlatIndex(dimension: dimension, metric: metric, storedRows: store, floatBudget: floatBudget)
        }

        mutating func add(_ rows: [IndexedRow]) {
            for row in rows { store.put(row.key, row.vector) }
            kept.add(rows)
            coded.add(rows)
        }

        mutating func update(_ row: IndexedRow) {
            store.put(row.key, row.vector)
            kept.update(row)
            coded.update(row)
        }

        mutating func remove(tenant: TenantID, id: PrecedentID, key: Int64) {
            store.delete(key)
            kept.remove(tenant: tenant, id: id)
            coded.remove(tenant: tenant, id: id)
        }
    }

    static func row(_ i: Int, tenant: TenantID, vector: [Float]) -> IndexedRow {
        IndexedRow(
            tenant: tenant, id: PrecedentID("r\(i)"), key: Int64(i), vector: vector,
            texts: PrecedentField.filterableTexts.map { $0 == .category ? ["a", "b", "c"][i % 3] : nil },
            tags: i % 500 == 0 ? ["rare"] : [], wasSuccessful: nil, createdAt: 0)
    }

    static func expectSame(_ got: IndexAnswer, _ expected: IndexAnswer, _ note: String) {
        #expect(got.exact, "\(note): exact")
        #expect(got.hits.map(\.score.bitPattern) == expected.hits.map(\.score.bitPattern), "\(note): scores")
        guard let last = expected.hits.last?.score else { return }
        // Which of several rows tied exactly with the k-th a heap keeps depends on the order offered.
        #expect(got.hits.filter { $0.score > last }.map(\.id) == expected.hits.filter { $0.score > last }.map(\.id), "\(note): rows")
    }

    @Test(arguments: CodedScanTests.Shape.allCases)
    func codesOnlyEqualsTheFloatScan(shape: CodedScanTests.Shape) throws {
        try #require(CodedScan.hasKernel && CodedScan.dropsFloats, "needs AVX2 and CASEBOOK_FLOAT_ROWS unset")
        var random = SplitMix64(seed: 9_000 + UInt64(shape.rawValue.count))
        let d = 48
        var pair = Pair(dimension: d, metric: .innerProduct)
        var vectors = CodedScanTests.vectors(shape, count: 5_000, dimension: d, random: &random)
        // Two tenants: the second stays below the threshold and keeps its float32 rows.
        pair.add(vectors.enumerated().map { Self.row($0.offset, tenant: "big", vector: $0.element) })
        pair.add((0..<300).map { Self.row(10_000 + $0, tenant: "small", vector: vectors[$0].map { -$0 }) })
        for i in stride(from: 0, to: 300, by: 7) {
            vectors[i] = vectors[(i * 31) % vectors.count].map { -$0 }
            pair.update(Self.row(i, tenant: "big", vector: vectors[i]))
        }
        for i in stride(from: 1, to: 600, by: 5) { pair.remove(tenant: "big", id: PrecedentID("r\(i)"), key: Int64(i)) }
        #expect(pair.coded._checkInvariants())
        #expect(pair.coded.slabs["big"]?.keepsFloats == false && pair.coded.slabs["small"]?.keepsFloats == true)
        #expect(pair.kept.slabs["big"]?.keepsFloats == true)
        let queries = (0..<8).map { q -> [Float] in
            // Rows scaled, random, one large and one beyond the codes' range (read back whole).
            q < 4 ? vectors[q * 101 + 2].map { $0 * 1.25 } : (0..<d).map { _ in random.unit() * (q == 6 ? 1e9 : q == 7 ? 1e17 : 1) }
        }
        let filters = [SearchFilter(), SearchFilter(category: "b"), SearchFilter(tags: ["rare"])]
        for (q, query) in queries.enumerated() {
            for k in [1, 10, 100] {
                for (f, filter) in filters.enumerated() {
                    for tenant in ["big", "small"] as [TenantID] {
                        let request = IndexQuery(tenant: tenant, vector: query, k: k, filter: filter)
                        let note = "\(shape) \(tenant) query \(q) k \(k) filter \(f)"
                        let got = try pair.coded.search(request)
                        Self.expectSame(got, try pair.kept.search(request), note)
                        let prefix = tenant == "big" ? "r" : "r1"
                        #expect(got.hits.allSatisfy { $0.id.rawValue.hasPrefix(prefix) && (tenant == "small") == ($0.key >= 10_000) },
                                "\(note): another tenant's row")
                    }
                }
            }
        }
        // A batch (sgemm over dequantized codes, `CodedBatchScan`) answers as each query's own
        // search; with a query beyond the codes' range, the batch goes query by query.
        for (f, filter) in filters.enumerated() {
            for count in [7, 8] {
                let batch = IndexBatchQuery(tenant: "big", vectors: queries.prefix(count).flatMap { $0 }, k: 10, filter: filter)
                for (q, answer) in try pair.coded.search(batch: batch).enumerated() {
                    Self.expectSame(answer, try pair.kept.search(IndexQuery(tenant: "big", vector: queries[q], k: 10, filter: filter)),
                                    "\(shape) batch of \(count), query \(q), filter \(f)")
                }
            }
        }
    }

    /// Many small tenants: until their float32 rows would pass the index's budget, their slabs keep
    /// them; from then on every slab keeps codes only, however small, and answers as the float32
    /// scan does from its own tenant's rows. An index given the same tenants' sizes up front (a
    /// database opening) keeps codes only from the start, without holding float32 rows first.
    @Test(arguments: [Metric.cosine, .innerProduct])
    func manySmallTenantsPastTheBudgetKeepCodesOnly(metric: Metric) throws {
        try #require(CodedScan.hasKernel && CodedScan.dropsFloats, "needs AVX2 and CASEBOOK_FLOAT_ROWS unset")
        var random = SplitMix64(seed: metric == .cosine ? 41 : 42)
        let d = 24, budgetRows = 1_000
        var pair = Pair(dimension: d, metric: metric, floatBudget: budgetRows * d * MemoryLayout<Float>.size)
        // Tenant `t<n>` holds keys 100·n ..< 100·n + size: sizes 1-24, so some are below k.
        var tenants: [(tenant: TenantID, size: Int)] = []
        func addTenants(_ count: Int) {
            for _ in 0..<count {
                let n = tenants.count, size = 1 + Int(random.next() % 24)
                tenants.append((TenantID("t\(n)"), size))
                pair.add((0..<size).map { i in
                    Self.row(100 * n + i, tenant: TenantID("t\(n)"), vector: (0..<d).map { _ in random.unit() })
                })
            }
        }
        addTenants(40)
        let (n, _) = try #require(tenants.enumerated().first { $0.element.size > 1 })
        pair.remove(tenant: tenants[n].tenant, id: PrecedentID("r\(100 * n + 1)"), key: Int64(100 * n + 1))
        let under = pair.coded.count
        #expect(under < budgetRows && pair.coded.floatRows == under && !pair.coded.codesOnlyEverywhere)
        #expect(pair.coded.slabs.values.allSatisfy { $0.keepsFloats }, "under the budget, small slabs keep float32 rows")
        while pair.coded.count <= budgetRows { addTenants(5) }
        addTenants(3)
        #expect(pair.coded.codesOnlyEverywhere && pair.coded.floatRows == 0)
        #expect(pair.coded.slabs.values.allSatisfy { !$0.keepsFloats }, "past it, every slab keeps codes only")
        var consistent = pair.coded._checkInvariants()
        #expect(consistent)
        // Writes after the switch: an update, a removal, a new one-row tenant.
        for n in stride(from: 0, to: tenants.count, by: 9) {
            pair.update(Self.row(100 * n, tenant: tenants[n].tenant, vector: (0..<d).map { _ in random.unit() }))
            if tenants[n].size > 1 {
                pair.remove(tenant: tenants[n].tenant, id: PrecedentID("r\(100 * n + 1)"), key: Int64(100 * n + 1))
            }
        }
        addTenants(1)
        consistent = pair.coded._checkInvariants()
        #expect(pair.coded.slabs[tenants.last!.tenant]?.keepsFloats == false && consistent)

        // Given no budget, an index takes the default where rows are read back locally, and none
        // (small slabs keep their float32 rows) where they come from across a network.
        let remote = Vectors()
        remote.isLocal = false
        #expect(FlatIndex(dimension: d, metric: metric, storedRows: pair.store).floatBudget == CodedScan.floatBudget)
        #expect(FlatIndex(dimension: d, metric: metric, storedRows: remote).floatBudget == .max)

        // The same rows loaded as a database opens: sizes first, then each row's stored bytes.
        var loaded = FlatIndex(dimension: d, metric: metric, storedRows: pair.store, floatBudget: pair.coded.floatBudget)
        let sizes = tenants.map { ($0.tenant, pair.coded.count(tenant: $0.tenant)) }
        loaded.reserve(sizes)
        #expect(loaded.codesOnlyEverywhere && loaded.floatRows == 0, "decided by the sizes, before any row")
        var underBudget = FlatIndex(dimension: d, metric: metric, storedRows: pair.store, floatBudget: pair.coded.floatBudget)
        underBudget.reserve(Array(sizes.prefix(20)))
        for (tenant, _) in sizes {
            let slab = try #require(pair.coded.slabs[tenant])
            for row in 0..<slab.count {
                let key = slab.keys[row], id = slab.ids[row]
                let vector = try #require(try pair.kept.vector(tenant: tenant, id: id))
                let texts = Self.row(Int(key), tenant: tenant, vector: vector).texts
                let inUnderBudget = sizes.prefix(20).contains { $0.0 == tenant }
                let added = VectorBlob.encodeStored(vector).withUnsafeBytes { bytes in
                    loaded.addLoaded(
                        tenant: tenant, id: id, key: key, vectorBytes: bytes, texts: texts, tags: [], wasSuccessful: nil, createdAt: 0)
                        && (!inUnderBudget || underBudget.addLoaded(
                            tenant: tenant, id: id, key: key, vectorBytes: bytes, texts: texts, tags: [], wasSuccessful: nil, createdAt: 0))
                }
                try #require(added)
            }
        }
        consistent = loaded._checkInvariants()
        #expect(consistent && loaded.floatRows == 0 && loaded.slabs.values.allSatisfy { !$0.keepsFloats })
        consistent = underBudget._checkInvariants()
        #expect(consistent && underBudget.floatRows == underBudget.count && !underBudget.codesOnlyEverywhere)

        for (n, (tenant, _)) in tenants.enumerated() where n % 3 == 0 {
            let own = 100 * n..<100 * n + 100
            let queries = [(0..<d).map { _ in random.unit() }, try #require(try pair.kept.vector(tenant: tenant, id: PrecedentID("r\(100 * n)")))]
            for (q, query) in queries.enumerated() {
                for k in [1, 5, 30] {
                    for (f, filter) in [SearchFilter(), SearchFilter(category: "b")].enumerated() {
                        let request = IndexQuery(tenant: tenant, vector: query, k: k, filter: filter)
                        let note = "\(tenant) query \(q) k \(k) filter \(f)"
                        let expected = try pair.kept.search(request)
                        let asked = pair.store.keysAsked.count
                        let got = try pair.coded.search(request)
                        Self.expectSame(got, expected, note)
                        #expect(pair.store.keysAsked[asked...].allSatisfy { own.contains(Int($0)) }, "\(note): read another tenant's row")
                        #expect(got.hits.allSatisfy { own.contains(Int($0.key)) }, "\(note): another tenant's row")
                        Self.expectSame(try loaded.search(request), expected, "loaded, \(note)")
                    }
                }
            }
            let batch = IndexBatchQuery(tenant: tenant, vectors: queries.flatMap { $0 }, k: 5, filter: SearchFilter())
            for (q, answer) in try pair.coded.search(batch: batch).enumerated() {
                Self.expectSame(answer, try pair.kept.search(IndexQuery(tenant: tenant, vector: queries[q], k: 5, filter: SearchFilter())),
                                "\(tenant) batch query \(q)")
            }
        }
    }

    /// Only the rows the bound cannot rule out are read back: a small share of the tenant.
    @Test func readsBackFewRows() throws {
        try #require(CodedScan.hasKernel && CodedScan.dropsFloats, "needs AVX2 and CASEBOOK_FLOAT_ROWS unset")
        var random = SplitMix64(seed: 31)
        var pair = Pair(dimension: 64, metric: .cosine)
        pair.add((0..<8_000).map { i in
            var vector = (0..<64).map { _ in random.unit() }
            let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            vector = vector.map { $0 / norm }
            return Self.row(i, tenant: "t", vector: vector)
        })
        let before = pair.store.reads
        _ = try pair.coded.search(IndexQuery(tenant: "t", vector: (0..<64).map { _ in random.unit() }, k: 10, filter: SearchFilter()))
        let read = pair.store.reads - before
        #expect(read >= 10 && read < 800, "read back \(read) of 8,000 rows")
    }

    /// A row the store rewrote since the index saw it (a write not yet applied here) keeps its code
    /// score and the answer says it is not exact; a row the store deleted drops out.
    @Test func rowsChangedBehindTheIndex() throws {
        try #require(CodedScan.hasKernel && CodedScan.dropsFloats, "needs AVX2 and CASEBOOK_FLOAT_ROWS unset")
        var random = SplitMix64(seed: 5)
        var pair = Pair(dimension: 32, metric: .innerProduct)
        let vectors = (0..<5_000).map { _ in (0..<32).map { _ in random.unit() } }
        pair.add(vectors.enumerated().map { Self.row($0.offset, tenant: "t", vector: $0.element) })
        let query = IndexQuery(tenant: "t", vector: vectors[42], k: 5, filter: SearchFilter())
        let before = try pair.coded.search(query)
        #expect(before.exact && before.hits.first?.id == "r42")

        pair.store.put(42, vectors[42].map { $0 * -3 })
        let rewritten = try pair.coded.search(query)
        #expect(!rewritten.exact)
        let batch = try pair.coded.search(batch: IndexBatchQuery(
            tenant: "t", vectors: vectors[42] + vectors[7], k: 5, filter: SearchFilter()))
        #expect(!batch[0].exact && batch[0].hits.contains { $0.id == "r42" } && batch[1].hits.first?.id == "r7")
        let hit = try #require(rewritten.hits.first { $0.id == "r42" })
        #expect(abs(hit.score - before.hits[0].score) <= 0.02 * before.hits[0].score, "the code score stands in")
        #expect(try pair.coded.vector(tenant: "t", id: "r42") == vectors[42].map { $0 * -3 }, "vector() reads the store")

        pair.store.put(42, vectors[42])
        pair.store.delete(Int64(before.hits[1].key))
        let deleted = try pair.coded.search(query)
        #expect(deleted.exact && !deleted.hits.contains { $0.id == before.hits[1].id })
        // Not refilled: the rows that were not candidates were ruled out against the deleted one.
        #expect(deleted.hits.count == 4 && deleted.hits.first?.id == "r42")

        pair.store.failing = true
        #expect(throws: CasebookError.self) { try pair.coded.search(query) }
    }

    /// Several rows' vectors in one store read (a hybrid search's part scores): the same vectors as
    /// the float32 index holds, absent and other tenants' ids left out.
    @Test func readsSeveralVectorsAtOnce() throws {
        try #require(CodedScan.hasKernel && CodedScan.dropsFloats, "needs AVX2 and CASEBOOK_FLOAT_ROWS unset")
        var random = SplitMix64(seed: 17)
        var pair = Pair(dimension: 16, metric: .cosine)
        pair.add((0..<4_500).map { i in
            Self.row(i, tenant: i < 4_200 ? "t" : "u", vector: (0..<16).map { _ in random.unit() })
        })
        let ids: [PrecedentID] = ["r3", "r4199", "r0", "r4300", "missing"]
        let (reads, queries) = (pair.store.reads, pair.store.queries)
        let coded = try pair.coded.vectors(tenant: "t", ids: ids)
        #expect(pair.store.reads - reads == 3 && pair.store.queries - queries == 1, "one query for the three rows tenant t holds")
        #expect(coded == (try pair.kept.vectors(tenant: "t", ids: ids)))
        #expect(Set(coded.keys) == ["r3", "r4199", "r0"])
        #expect(coded["r3"] == (try pair.kept.vector(tenant: "t", id: "r3")))
        #expect(try pair.coded.vectors(tenant: "u", ids: ids).keys.sorted() == ["r4300"])
        #expect(try pair.coded.vectors(tenant: "nobody", ids: ids).isEmpty)
    }

    /// A row too large for codes, in a slab keeping codes only: every row is read back, exactly.
    @Test func aHugeRowMakesTheSlabReadEveryRow() throws {
        try #require(CodedScan.hasKernel && CodedScan.dropsFloats, "needs AVX2 and CASEBOOK_FLOAT_ROWS unset")
        var random = SplitMix64(seed: 6)
        var pair = Pair(dimension: 16, metric: .innerProduct)
        pair.add((0..<4_500).map { Self.row($0, tenant: "t", vector: (0..<16).map { _ in random.unit() }) })
        pair.add([Self.row(9_999, tenant: "t", vector: [1e30] + [Float](repeating: 0, count: 15))])
        #expect(pair.coded.slabs["t"]?.keepsFloats == false && pair.coded.slabs["t"]?.hasUsableCodes == false)
        for q in 0..<4 {
            let request = IndexQuery(tenant: "t", vector: (0..<16).map { _ in random.unit() }, k: 10, filter: q % 2 == 0 ? SearchFilter() : SearchFilter(category: "a"))
            Self.expectSame(try pair.coded.search(request), try pair.kept.search(request), "query \(q)")
        }
    }

    /// Training an IVF index from a flat one reads the coded rows back: the trained index holds
    /// every stored vector bit for bit, and its exhaustive search equals the float32 scan.
    @Test func trainingReadsTheRowsBack() throws {
        try #require(CodedScan.hasKernel && CodedScan.dropsFloats, "needs AVX2 and CASEBOOK_FLOAT_ROWS unset")
        var random = SplitMix64(seed: 8)
        var pair = Pair(dimension: 24, metric: .cosine)
        let vectors = (0..<6_000).map { _ in
            let v = (0..<24).map { _ in random.unit() }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / norm }
        }
        pair.add(vectors.enumerated().map { Self.row($0.offset, tenant: "t", vector: $0.element) })
        #expect(pair.coded.slabs["t"]?.keepsFloats == false)
        var parameters = IVFParameters()
        parameters.nlist = 16
        let trained = try pair.coded.trained(parameters) { _ in }.index
        for i in stride(from: 0, to: 6_000, by: 97) {
            #expect(trained.vector(tenant: "t", id: PrecedentID("r\(i)")) == vectors[i])
        }
        let request = IndexQuery(tenant: "t", vector: vectors[7], k: 10, filter: SearchFilter(), exact: true)
        let got = trained.search(request), expected = try pair.kept.search(request)
        #expect(got.hits.map(\.id) == expected.hits.map(\.id))
        #expect(zip(got.hits, expected.hits).allSatisfy { abs($0.score - $1.score) <= 1e-5 })
        // The flat index it came from still keeps codes only.
        #expect(pair.coded.slabs["t"]?.keepsFloats == false)
    }
}
