import Foundation
import Synchronization
import Testing

@testable import Casebook

/// hashed-v2 and `reembed`: numeric scales fitted per tenant (hand-worked values), numbers placed
/// on them (hand-worked weights, golden vectors), and a re-embedding that switches every vector,
/// the embedder and the counts at once — on both stores, flat and trained IVF, through a reopen
/// and on a follower — while searches keep answering. Killed midway: `ReembedKillTests`.
@Suite struct ReembedTests {
    static func precedent(_ i: Int, tenant: String, scale: Double, _ random: inout SplitMix64) -> Precedent {
        Precedent(
            id: PrecedentID("p\(i)"), tenant: TenantID(tenant), category: i % 2 == 0 ? "ndr" : "credit",
            context: [
                "minutes": .number(scale * (100 + Double(random.next() % 200))),
                "calls": .number(Double(random.next() % 9)),
                "plan": .string(random.next() % 3 == 0 ? "international" : "domestic"),
                "order": .object(["value": .number(Double(random.next() % 10_000) / 3)]),
            ],
            text: i % 3 == 0 ? "customer called about the bill" : nil,
            wasSuccessful: random.next() % 2 == 0)
    }

    static func rows(tenant: String, count: Int, scale: Double = 1, seed: UInt64) -> [Precedent] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { precedent($0, tenant: tenant, scale: scale, &random) }
    }

    @Test func scalesAreFittedPerTenantAsWorkedOut() throws {
        let values: [Double] = [1, 2, 3, 4, 5, 6, 7, 8]
        let precedents = values.map { v in
            Precedent(tenant: "a", context: ["Order Value": .number(v), "nested": .object(["n": .array([.number(v), .number(v + 1)])])])
        } + [Precedent(tenant: "b", context: ["Order Value": .number(1000)])]
        let scales = NumericScales.fit(precedents, version: 3)
        #expect(scales.version == 3)
        let a = try #require(scales.tenants["a"])
        // Keys are normalised as the featurizer forms paths; array items count under the array.
        let order = try #require(a["order value"])
        #expect(order.count == 8 && order.mean == 4.5)
        #expect(abs(order.deviation - 5.25.squareRoot()) < 1e-12)
        let nested = try #require(a["nested.n"])
        #expect(nested.count == 16 && nested.mean == 5)
        // Tenant b has one value: no scale, and nothing of b moves a's.
        #expect(scales.tenants["b"] == nil)
        #expect(NumericScale.fit([2, 2, 2, 2, 2, 2, 2, 2]) == nil)
        #expect(NumericScale.fit([1, 2, 3]) == nil)
        #expect(NumericScale.fit([1, 2, 3, 4, 5, 6, 7, .nan])  == nil)
    }

    /// One scaled field alone in the context namespace: its two features' namespace weights are
    /// the worked-out shares. 1 with mean 1.5 and deviation 0.75 is z = -2/3; over 8 bins spanning
    /// ±3 deviations it sits at bin position (z + 3) / 6 · 8 - 0.5 = 2.6111: bins 2 and 3 with
    /// shares 0.3889 and 0.6111, unit length together.
    @Test func aScaledNumberIsPlacedAsWorkedOut() throws {
        let scales = NumericScales(version: 1, tenants: ["t": ["attempts": NumericScale(count: 10, mean: 1.5, deviation: 0.75)]])
        let embedder = try HashedNGramEmbedder(dimension: 1024, scales: scales)
        let features = try #require(embedder.features(of: Precedent(tenant: "t", context: ["attempts": 1]))).features
        let at = (-2.0 / 3 + 3) / 6 * 8 - 0.5
        let (low, high) = (3 - at, at - 2)
        let norm = (low * low + high * high).squareRoot()
        #expect(features.map(\.token) == ["attempts~z=2", "attempts~z=3"])
        #expect(abs(features[0].namespaceWeight - low / norm) < 1e-12)
        #expect(abs(features[1].namespaceWeight - high / norm) < 1e-12)
        // Far beyond the range: all in the outer bin. Another tenant, or an unscaled field: hashed-v1's buckets.
        #expect(try #require(embedder.features(of: Precedent(tenant: "t", context: ["attempts": 90]))).features.map(\.token)
            == ["attempts~z=7"])
        #expect(try #require(embedder.features(of: Precedent(tenant: "u", context: ["attempts": 3]))).features.map(\.token)
            == ["attempts=3"])
        #expect(try #require(embedder.features(of: Precedent(tenant: "t", context: ["other": 3]))).features.map(\.token)
            == ["other=3"])
    }

    @Test func hashedV2VectorsMatchTheGoldenFileBitForBit() throws {
        let golden = GoldenVectorTests.golden
        let scalesJSON = try Data(contentsOf: golden.appendingPathComponent("hashed-v2-scales.json"))
        let embedder = try HashedNGramEmbedder(dimension: 1024, scales: JSONDecoder().decode(NumericScales.self, from: scalesJSON))
        let expected = try GoldenVectorTests.goldenVectors(file: "hashed-v2-1024.vectors.jsonl")
        let documents = try GoldenVectorTests.documents()
        #expect(expected.count == 12)
        for (line, precedent) in documents {
            let vector = try embedder.documentVector(for: precedent)
            #expect(vector.map(\.bitPattern) == (try #require(expected[line])).map(\.bitPattern), "line \(line)")
        }
        let input = golden.appendingPathComponent("documents.jsonl").path
        let scales = golden.appendingPathComponent("hashed-v2-scales.json").path
        for (flags, name) in [(["--vectors"], "hashed-v2-1024.vectors.jsonl"), ([], "hashed-v2-1024.features.jsonl")] {
            let run = try CasebookProcess.run(["embed", "--embedder", "hashed-v2", "--scales", scales, "--dims", "1024"] + flags + [input])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout == (try String(contentsOf: golden.appendingPathComponent(name), encoding: .utf8)), "\(name)")
        }
    }

    /// Every stored vector (every `sampleEvery`-th) is what the collection's current embedder
    /// makes of its precedent, and each tenant's counts equal a recount.
    static func expectConsistent(
        _ collection: PrecedentCollection, _ held: [Precedent], _ note: String = "", sampleEvery: Int = 1
    ) throws {
        let config = collection.spec.embedder
        let embedder = try EmbedderFactory.make(config: config, dimension: collection.spec.dimension, metric: .cosine)
        for p in held.enumerated().filter({ $0.offset % sampleEvery == 0 }).map(\.element) {
            let stored = try collection.get(tenant: p.tenant, id: p.id!).vector
            #expect(stored == (try embedder.documentVector(for: p)), "\(p.id!) \(note)")
        }
        for tenant in Set(held.map(\.tenant)) {
            let own = held.filter { $0.tenant == tenant }
            let recount = FeatureFrequencyTests.recount(own, try #require(embedder as? HashedNGramEmbedder))
            #expect(try collection.featureFrequencies(tenant: tenant) == recount, "\(tenant) \(note)")
        }
    }

    /// Exact search against brute force over the new embedder's vectors, the query weighed by a
    /// recount.
    static func expectSearchesEqualBruteForce(_ collection: PrecedentCollection, _ held: [Precedent]) throws {
        let embedder = try #require(try EmbedderFactory.make(
            config: collection.spec.embedder, dimension: collection.spec.dimension, metric: .cosine) as? HashedNGramEmbedder)
        for tenant in Set(held.map(\.tenant)) {
            let own = held.filter { $0.tenant == tenant }
            let query = QueryInput(context: ["minutes": 250, "calls": 4, "plan": "domestic"], tenant: tenant)
            let q = try #require(try embedder.queryVector(query, frequencies: FeatureFrequencyTests.recount(own, embedder)))
            let expected = try own.map { p in
                (p.id!, zip(q, try embedder.documentVector(for: p)).reduce(0.0) { $0 + Double($1.0) * Double($1.1) })
            }.sorted { $0.1 > $1.1 }.prefix(8)
            let found = try collection.search(SearchRequest(
                tenant: tenant, k: 8, context: query.context, exact: true, log: false))
            #expect(found.results.count == 8)
            for (result, reference) in zip(found.results, expected) {
                #expect(abs(Double(result.score) - reference.1) < 1e-5)
                #expect(result.precedent?.tenant == tenant)
            }
        }
    }

    @Test(arguments: StoreKind.allCases, [false, true])
    func reembedSwitchesVectorsEmbedderAndCounts(store: StoreKind, trained: Bool) throws {
        let database = TemporaryDatabase(store)
        let writer = try Casebook(path: database.path)
        let follower = try Casebook(path: database.path)
        var spec = CollectionSpec(name: "c", dimension: 256, embedder: .hashedV1())
        if trained { spec.index = .ivf(IVFParameters(nlist: 4, nprobe: 4, flatThreshold: 16)) }
        let collection = try writer.createCollection(spec)
        let held = Self.rows(tenant: "acme", count: 120, seed: 1) + Self.rows(tenant: "globex", count: 80, scale: 50, seed: 2)
        try collection.add(held)
        if trained { try collection.trainIndex() }
        try follower.catchUp()
        var phases: [ReembedProgress.Phase] = []
        let report = try collection.reembed { phases.append($0.phase) }
        #expect(report.from == "hashed-v1" && report.to == "hashed-v2" && report.precedents == 200)
        #expect(report.scalesVersion == 1 && report.scaledTenants == 2 && report.scaledFields == 6)
        #expect(phases.first == .reading && phases.contains(.embedding) && phases.last == .writing)
        #expect(phases.filter { $0 == .catchingUp }.count == 2, "before the switch's lock, and under it")
        #expect(collection.spec.embedder.kind == "hashed-v2" && collection.spec.embedder.numericScales?.version == 1)
        try Self.expectConsistent(collection, held)
        try Self.expectSearchesEqualBruteForce(collection, held)
        // Another process follows; a reopened one reads the same.
        try follower.catchUp()
        let followed = try follower.collection("c")
        #expect(followed.spec.embedder == collection.spec.embedder)
        try Self.expectSearchesEqualBruteForce(followed, held)
        let reopened = try Casebook(path: database.path).collection("c")
        #expect(reopened.spec.embedder == collection.spec.embedder && reopened.spec.index.isIVF == trained)
        try Self.expectConsistent(reopened, held)
        // Writes after it are embedded with the new scales; a second fit is version 2.
        let later = Self.rows(tenant: "acme", count: 130, seed: 9).suffix(10)
        try collection.add(Array(later))
        try Self.expectConsistent(collection, held + later)
        #expect(try collection.reembed().scalesVersion == 2)
        try Self.expectConsistent(collection, held + later, "after the second")
        // Back to hashed-v1 is a re-embedding too.
        #expect(try collection.reembed(to: "hashed-v1").to == "hashed-v1")
        #expect(collection.spec.embedder.numericScales == nil)
        try Self.expectConsistent(collection, held + later, "hashed-v1")
    }

    /// A fit of thousands of precedents runs in chunks on several threads; each tenant's scales,
    /// weights and fit record are, bit for bit, those of its own precedents fitted alone (a few
    /// thousand rows: one chunk), so the split changes nothing.
    @Test func aFitInChunksEqualsEachTenantFittedAlone() throws {
        let tenants = ["a", "b", "c"]
        let rows = tenants.enumerated().flatMap { i, tenant in
            Self.rows(tenant: tenant, count: 2_100, scale: Double(i + 1) * 7, seed: UInt64(40 + i))
        }
        let whole = NumericScales.fit(rows, version: 1)
        #expect(whole.fitted["b"] == TenantFitBasis(precedents: 2_100, knownOutcomes: 2_100))
        for tenant in tenants {
            let alone = NumericScales.fit(rows.filter { $0.tenant.rawValue == tenant }, version: 1)
            #expect(whole.tenants[tenant] == alone.tenants[tenant] && whole.tenants[tenant]?.count == 3, "\(tenant)")
            #expect(whole.fieldWeights[tenant] == alone.fieldWeights[tenant] && whole.fieldWeights[tenant] != nil, "\(tenant)")
            #expect(whole.fitted[tenant] == alone.fitted[tenant], "\(tenant)")
        }
    }

    /// One tenant's numbers never move another's vectors: tenant a's vectors after a re-embedding
    /// are the same with or without tenant b's very different values beside them.
    @Test func aTenantsScalesAreItsOwn() throws {
        let alone = TemporaryDatabase()
        let shared = TemporaryDatabase()
        let a = Self.rows(tenant: "a", count: 40, seed: 3)
        var vectors: [[[Float]]] = []
        for (database, others) in [(alone, []), (shared, Self.rows(tenant: "b", count: 40, scale: 1000, seed: 4))] {
            let collection = try Casebook(path: database.path).createCollection(
                CollectionSpec(name: "c", dimension: 128, embedder: .hashedV2()))
            try collection.add(a + others)
            try collection.reembed()
            vectors.append(try a.map { try collection.get(tenant: "a", id: $0.id!).vector! })
        }
        #expect(vectors[0] == vectors[1])
    }

    /// Searches on other threads keep answering while a re-embedding runs, each answer wholly from
    /// the old vectors or wholly from the new.
    @Test func searchesKeepAnsweringDuringAReembedding() throws {
        let database = TemporaryDatabase()
        let collection = try Casebook(path: database.path).createCollection(
            CollectionSpec(name: "c", dimension: 256, embedder: .hashedV1()))
        try collection.add(Self.rows(tenant: "t", count: 3_000, seed: 5))
        let request = SearchRequest(tenant: "t", k: 5, context: ["minutes": 180, "calls": 2], log: false)
        let before = try collection.search(request).results.map(\.id)
        let done = Mutex(false)
        let answers = Mutex<[[PrecedentID]]>([])
        let failures = Mutex(0)
        let searcher = Thread {
            while !done.withLock({ $0 }) {
                do {
                    let ids = try collection.search(request).results.map(\.id)
                    answers.withLock { $0.append(ids) }
                } catch {
                    failures.withLock { $0 += 1 }
                }
            }
        }
        searcher.start()
        try collection.reembed()
        done.withLock { $0 = true }
        while !searcher.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        let after = try collection.search(request).results.map(\.id)
        #expect(failures.withLock { $0 } == 0)
        let seen = answers.withLock { $0 }
        #expect(seen.count > 1)
        #expect(seen.allSatisfy { $0 == before || $0 == after })
    }

    @Test func badReembeddingsAreRefused() throws {
        let database = TemporaryDatabase()
        let casebook = try Casebook(path: database.path)
        let external = try casebook.createCollection(CollectionSpec(name: "e", dimension: 2))
        #expect(throws: CasebookError.self) { try external.reembed() }
        let hashed = try casebook.createCollection(CollectionSpec(name: "h", dimension: 64, embedder: .hashedV1()))
        try hashed.add([Precedent(id: "a", tenant: "t", text: "x")])
        #expect(throws: CasebookError.self) { try hashed.reembed(to: "external") }
        #expect(throws: CasebookError.self) { try hashed.reembed(to: "hashed-v3") }
        #expect(hashed.spec.embedder.kind == "hashed-v1")
        // An empty collection re-embeds to nothing, and says so.
        let empty = try casebook.createCollection(CollectionSpec(name: "z", dimension: 64, embedder: .hashedV1()))
        #expect(try empty.reembed().precedents == 0)
    }
}
