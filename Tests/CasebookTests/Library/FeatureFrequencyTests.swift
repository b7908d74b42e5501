import Foundation
import Synchronization
import Testing

@testable import Casebook

/// Collection statistics: each tenant's document frequencies of hashed features, kept as
/// precedents are added, replaced and deleted (both stores, across a reopen and on a follower),
/// and how a query weighs its features by them (inverse document frequency, features no
/// precedent holds dropped), against a recount from scratch and a hand-worked score.
@Suite struct FeatureFrequencyTests {
    static let words = [
        "parcel", "refused", "doorstep", "courier", "address", "incomplete", "customer", "unreachable", "cod",
        "prepaid", "fragile", "damaged", "weekend", "holiday", "office", "closed", "landmark", "missing",
    ]

    /// A precedent of random words and context, or (one in six) nothing but a category.
    static func precedent(_ id: String, tenant: String, _ random: inout SplitMix64) -> Precedent {
        if random.next() % 6 == 0 { return Precedent(id: PrecedentID(id), tenant: TenantID(tenant), category: "ndr") }
        let text = (0..<(2 + Int(random.next() % 7))).map { _ in words[Int(random.next() % UInt64(words.count))] }
        return Precedent(
            id: PrecedentID(id), tenant: TenantID(tenant), category: random.next() % 2 == 0 ? "ndr" : "credit",
            context: ["attempts": .number(Double(random.next() % 4)), "amount": .number(Double(random.next() % 5000) + 0.5)],
            text: text.joined(separator: " "), tags: random.next() % 3 == 0 ? ["vip"] : [])
    }

    /// The counts recomputed from the precedents themselves, through the explaining path
    /// (`features(of:)`), not the one the collection counts with.
    static func recount(_ precedents: some Sequence<Precedent>, _ embedder: HashedNGramEmbedder) -> FeatureFrequencies {
        var frequencies = FeatureFrequencies()
        for precedent in precedents {
            guard let features = embedder.features(of: precedent)?.features else { continue }
            frequencies.count(document: Set(features.map { UInt64($0.namespace.ordinal + 1) << 32 | UInt64($0.hash) }))
        }
        return frequencies
    }

    /// Random adds, replaces (some unchanged) and deletes over two tenants; after each round the
    /// collection's counts equal a recount of what it holds, and so do a reopened instance's and a
    /// follower's.
    @Test(arguments: StoreKind.allCases) func countsEqualRecountsAfterRandomChanges(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let writer = try Casebook(path: database.path)
        let follower = try Casebook(path: database.path)
        let collection = try writer.createCollection(CollectionSpec(name: "c", dimension: 128, embedder: .hashedV1()))
        let embedder = try HashedNGramEmbedder(dimension: 128)
        var held: [String: [String: Precedent]] = ["acme": [:], "globex": [:]]
        var random = SplitMix64(seed: 20)
        var next = 0
        for round in 0..<4 {
            for _ in 0..<30 {
                let tenant = random.next() % 3 == 0 ? "globex" : "acme"
                let ids = held[tenant]!.keys.sorted()
                switch random.next() % 4 {
                case 0, 1:
                    let batch = (0..<(1 + Int(random.next() % 4))).map { _ -> Precedent in
                        next += 1
                        return Self.precedent("p\(next)", tenant: tenant, &random)
                    }
                    try collection.add(batch)
                    for p in batch { held[tenant]![p.id!.rawValue] = p }
                case 2 where !ids.isEmpty:
                    let id = ids[Int(random.next() % UInt64(ids.count))]
                    // One in three keeps every field: a replace that changes nothing.
                    let replacement = random.next() % 3 == 0 ? held[tenant]![id]! : Self.precedent(id, tenant: tenant, &random)
                    try collection.update(replacement)
                    held[tenant]![id] = replacement
                case 3 where !ids.isEmpty:
                    let id = ids[Int(random.next() % UInt64(ids.count))]
                    try collection.delete(tenant: TenantID(tenant), id: PrecedentID(id))
                    held[tenant]![id] = nil
                default:
                    continue
                }
            }
            try follower.catchUp()
            let reopened = try Casebook(path: database.path).collection("c")
            for tenant in held.keys {
                let expected = Self.recount(held[tenant]!.values, embedder)
                #expect(expected.documents == held[tenant]!.values.filter { $0.text != nil || $0.category != nil }.count)
                #expect(try collection.featureFrequencies(tenant: TenantID(tenant)) == expected, "round \(round) \(tenant)")
                #expect(try reopened.featureFrequencies(tenant: TenantID(tenant)) == expected, "round \(round) \(tenant)")
                #expect(try follower.collection("c").featureFrequencies(tenant: TenantID(tenant)) == expected)
            }
            #expect(try collection.featureFrequencies(tenant: "nobody") == FeatureFrequencies())
        }
    }

    /// Counts of more rows than a store reads in one page (PostgreSQL reads them in pages of
    /// (tenant, feature)): a reopened instance and the store's reads of one tenant hold every one,
    /// pages ending inside a tenant and between two.
    @Test(arguments: StoreKind.allCases) func countsOfManyPagesReadBackWhole(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let collection = try Casebook(path: database.path).createCollection(
            CollectionSpec(name: "c", dimension: 64, embedder: .hashedV1()))
        let embedder = try HashedNGramEmbedder(dimension: 64)
        var random = SplitMix64(seed: 77)
        // Words of random letters: each brings a dozen character n-grams no other shares.
        func word() -> String { String((0..<8).map { _ in Character(Unicode.Scalar(97 + UInt8(random.next() % 26))) }) }
        var held: [TenantID: [Precedent]] = [:]
        for (t, tenant) in (["acme", "globex", "initech"] as [TenantID]).enumerated() {
            held[tenant] = (0..<(40 + 10 * t)).map { i in
                Precedent(id: PrecedentID("p\(i)"), tenant: tenant, category: "ndr", text: (0..<30).map { _ in word() }.joined(separator: " "))
            }
            try collection.add(held[tenant]!)
        }
        let stored = try collection.store.featureFrequencies(collection: collection.recordID)
        #expect(stored.values.reduce(0) { $0 + $1.counts.count } > PostgresStore.rowsPerPage, "more rows than a page")
        let reopened = try Casebook(path: database.path).collection("c")
        for (tenant, precedents) in held {
            // Compared as values: a failed `#expect` on the counts would print tens of thousands.
            let expected = Self.recount(precedents, embedder)
            let collectionRead = stored[tenant] == expected
            let tenantRead = try collection.store.featureFrequencies(collection: collection.recordID, tenant: tenant) == expected
            let reopenedRead = try reopened.featureFrequencies(tenant: tenant) == expected
            #expect(collectionRead, "\(tenant): the collection's read")
            #expect(tenantRead, "\(tenant): its own read")
            #expect(reopenedRead, "\(tenant): reopened")
        }
    }

    /// The counts as held (sorted arrays, with changes merged in steps) against a plain
    /// dictionary: documents counted and taken away, changes applied, past the merge threshold
    /// many times, looked up between; and stored rows gathered in key order and shuffled.
    @Test func heldCountsEqualADictionary() {
        var random = SplitMix64(seed: 3)
        var held = FeatureFrequencies()
        var reference: [UInt64: Int] = [:]
        var documents: [[UInt64]] = []
        func check(_ note: String) {
            let counts = held.counts
            #expect(counts == reference, "\(note): counts")
            #expect(held.documents == documents.count, "\(note): documents")
            let probes = (0..<200).map { _ in UInt64(random.next() % 6_000) << 8 }
            #expect(probes.allSatisfy { held.frequency(of: $0) == reference[$0, default: 0] }, "\(note): lookups")
            #expect(held == FeatureFrequencies(documents: documents.count, counts: reference), "\(note): equality")
            #expect(held.counts.count == reference.count, "\(note): features")
        }
        for step in 0..<2_500 {
            if random.next() % 3 == 0, !documents.isEmpty {
                let document = documents.remove(at: Int(random.next() % UInt64(documents.count)))
                held.count(document: document, sign: -1)
                for key in document { reference[key]! -= 1; if reference[key] == 0 { reference[key] = nil } }
            } else {
                let document = Array(Set((0..<(1 + random.next() % 60)).map { _ in UInt64(1 + random.next() % 5_000) << 8 }))
                if step % 2 == 0 {
                    held.count(document: document)
                } else {
                    var change = FeatureFrequencies()
                    change.count(document: document)
                    held.apply(change)
                }
                documents.append(document)
                for key in document { reference[key, default: 0] += 1 }
            }
            if step % 250 == 0 { check("step \(step)") }
        }
        check("end")
        var rows = held.counts.map { (tenant: TenantID("t"), feature: Int64($0.key), documents: $0.value) }
        rows.append((TenantID("t"), 0, documents.count))
        rows.sort { $0.feature < $1.feature }
        for order in ["in key order", "shuffled"] {
            var gatherer = FeatureFrequencies.Gatherer()
            for row in rows { gatherer.add(tenant: row.tenant, feature: row.feature, documents: row.documents) }
            #expect(gatherer.gathered() == ["t": held], "gathered \(order)")
            for i in stride(from: rows.count - 1, to: 0, by: -1) { rows.swapAt(i, Int(random.next() % UInt64(i + 1))) }
        }
    }

    /// A batch that is refused (a duplicate id) changes no count.
    @Test(arguments: StoreKind.allCases) func aRefusedBatchCountsNothing(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let collection = try Casebook(path: database.path).createCollection(
            CollectionSpec(name: "c", dimension: 128, embedder: .hashedV1()))
        try collection.add([Precedent(id: "a", tenant: "t", text: "parcel refused")])
        let before = try collection.featureFrequencies(tenant: "t")
        #expect(throws: CasebookError.self) {
            try collection.add([Precedent(id: "b", tenant: "t", text: "courier weekend"), Precedent(id: "a", tenant: "t", text: "x")])
        }
        #expect(try collection.featureFrequencies(tenant: "t") == before)
        #expect(try Casebook(path: database.path).collection("c").featureFrequencies(tenant: "t") == before)
        #expect(throws: CasebookError.self) { try collection.delete(tenant: "t", id: "b") }
        #expect(try collection.featureFrequencies(tenant: "t") == before)
    }

    /// Concurrent writers of the same ids through two instances: the counts still equal a
    /// recount (each replace or delete takes away the row as stored when it runs).
    @Test(arguments: StoreKind.allCases) func concurrentWritersKeepCountsExact(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let first = try Casebook(path: database.path)
        let a = try first.createCollection(CollectionSpec(name: "c", dimension: 128, embedder: .hashedV1()))
        var random = SplitMix64(seed: 5)
        let ids = (0..<6).map { "p\($0)" }
        try a.add(ids.map { Self.precedent($0, tenant: "t", &random) })
        let b = try Casebook(path: database.path).collection("c")
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            var random = SplitMix64(seed: UInt64(10 + worker))
            let collection = worker == 0 ? a : b
            for step in 0..<40 {
                let id = ids[Int(random.next() % UInt64(ids.count))]
                if step % 5 == 4 {
                    try? collection.delete(tenant: "t", id: PrecedentID(id))
                    _ = try? collection.add([Self.precedent(id, tenant: "t", &random)])
                } else {
                    try? collection.update(Self.precedent(id, tenant: "t", &random))
                }
            }
        }
        let reopened = try Casebook(path: database.path).collection("c")
        let stored = try ids.compactMap { id -> Precedent? in
            do { return try reopened.get(tenant: "t", id: PrecedentID(id)) } catch CasebookError.precedentNotFound { return nil }
        }
        #expect(try reopened.featureFrequencies(tenant: "t") == Self.recount(stored, try HashedNGramEmbedder(dimension: 128)))
    }

    /// PostgreSQL: a replace or delete whose row lock waits on another node that deletes the row
    /// and adds the id again in one transaction. When the lock is granted the row it waited for is
    /// gone, and the row stored under the id now is one its snapshot did not see: the write is
    /// refused (not found) rather than made to that row without its counts. The other node's
    /// transaction is made by hand, holding the old row's lock until the write waits on it; its
    /// new row is the old one copied under a new key, so the counts it leaves are unchanged.
    @Test(arguments: [false, true]) func aWriteWhoseRowIsReplacedUnderItsLockIsRefused(deleting: Bool) throws {
        let database = TemporaryDatabase(.postgres)
        let collection = try Casebook(path: database.path).createCollection(
            CollectionSpec(name: "c", dimension: 128, embedder: .hashedV1()))
        var random = SplitMix64(seed: 8)
        try collection.add((0..<4).map { Self.precedent("p\($0)", tenant: "t", &random) })
        var replacement = Self.precedent("p0", tenant: "t", &random)
        replacement.text = "courier refused fragile parcel"
        let changed = replacement

        let other = try PostgresConnections(address: try PostgresAddress(url: database.path))
        let connection = try other.open()
        defer { PostgresConnections.close(connection) }
        let session = PostgresSession(connection: connection, logger: other.logger)
        let columns = "collection_id, tenant, id, category, decision_event_id, text, outcome, policy_version, context, "
            + "was_successful, created_at, updated_at, tags, vector, ivf_list, action"
        try session.execute("BEGIN")
        try session.execute("CREATE TEMPORARY TABLE kept AS SELECT \(columns) FROM casebook.precedent WHERE id = 'p0'")
        #expect(try session.execute("DELETE FROM casebook.precedent WHERE id = 'p0'") == 1)
        let outcome = Mutex<Result<Void, CasebookError>?>(nil)
        let writer = Thread {
            let result = Result { () throws(CasebookError) in
                if deleting { try collection.delete(tenant: "t", id: "p0") } else { try collection.update(changed) }
            }
            outcome.withLock { $0 = result }
        }
        writer.start()
        var waiting = false
        for _ in 0..<500 where !waiting {
            let rows = try TestPostgres.query(
                database.path, "SELECT count(*)::text FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            waiting = rows.first.flatMap { $0.flatMap(Int.init) } ?? 0 > 0
            if !waiting { Thread.sleep(forTimeInterval: 0.01) }
        }
        #expect(waiting, "the write never waited for the row's lock")
        try session.execute("INSERT INTO casebook.precedent (\(columns)) SELECT \(columns) FROM kept")
        try session.execute("COMMIT")
        for _ in 0..<500 where outcome.withLock({ $0 == nil }) { Thread.sleep(forTimeInterval: 0.01) }

        #expect(throws: CasebookError.precedentNotFound("p0")) { try outcome.withLock { $0 }?.get() }
        let reopened = try Casebook(path: database.path).collection("c")
        let stored = try (0..<4).compactMap { index -> Precedent? in
            do { return try reopened.get(tenant: "t", id: PrecedentID("p\(index)")) } catch CasebookError.precedentNotFound { return nil }
        }
        #expect(stored.count == 4 && stored[0].text != changed.text, "the other node's row is left as it wrote it")
        #expect(try reopened.featureFrequencies(tenant: "t") == Self.recount(stored, try HashedNGramEmbedder(dimension: 128)))
    }

    /// Words only, each once per precedent, in a dimension where these few features do not
    /// share a bucket: the cosine of a weighted query is worked out by hand from the counts.
    @Test(arguments: StoreKind.allCases) func scoresEqualTheHandFormula(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        var parameters = HashedNGramParameters(wordNgrams: [1, 1])
        parameters.weights = NamespaceWeights(context: 0, words: 1, chars: 0, tags: 0, category: 0)
        let collection = try Casebook(path: database.path).createCollection(
            CollectionSpec(name: "c", dimension: 4096, embedder: .hashedV1(parameters)))
        let texts = ["parcel refused", "parcel damaged", "parcel office closed", "courier refused"]
        try collection.add(texts.enumerated().map { Precedent(id: PrecedentID("d\($0)"), tenant: "t", text: $1) })
        // Another tenant's words never change this tenant's weights.
        try collection.add((0..<20).map { Precedent(id: PrecedentID("o\($0)"), tenant: "other", text: "refused weekend") })
        let embedder = try HashedNGramEmbedder(dimension: 4096, parameters: parameters)
        let buckets = Set(try texts.flatMap { text in
            try #require(embedder.features(of: Precedent(tenant: "t", text: text))).features.map(\.bucket)
        })
        #expect(buckets.count == 6, "the test needs its 6 words in 6 buckets")
        // N = 4; df: parcel 3, refused 2, damaged/office/closed/courier 1.
        let idf = { (df: Double) in log(5 / (1 + df)) + 1 }
        // "parcel refused weekend": weekend is in no precedent of t (dropped).
        let q = ["parcel": idf(3), "refused": idf(2)]
        let norm = (q["parcel"]! * q["parcel"]! + q["refused"]! * q["refused"]!).squareRoot()
        let expected: [String: Double] = [
            "d0": (q["parcel"]! + q["refused"]!) / norm / 2.0.squareRoot(),
            "d1": q["parcel"]! / norm / 2.0.squareRoot(),
            "d2": q["parcel"]! / norm / 3.0.squareRoot(),
            "d3": q["refused"]! / norm / 2.0.squareRoot(),
        ]
        let found = try collection.search(SearchRequest(tenant: "t", k: 4, text: "parcel refused weekend"))
        #expect(found.exact && found.results.count == 4)
        for result in found.results {
            #expect(abs(Double(result.score) - expected[result.id.rawValue]!) < 1e-5, "\(result.id)")
        }
        #expect(found.results.map(\.id.rawValue) == ["d0", "d3", "d1", "d2"])
        // Unweighted, d1 and d3 would tie; the rarer "refused" puts d3 first.
        #expect(expected["d3"]! > expected["d1"]!)
    }

    /// A query none of whose features any of the tenant's precedents holds matches nothing,
    /// rather than whatever its features collide with; another tenant holding them changes
    /// nothing. Without weighting (`none`, and collections stored before it) the same query
    /// returns collision matches.
    @Test(arguments: StoreKind.allCases) func unsharedQueriesMatchNothing(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let casebook = try Casebook(path: database.path)
        let weighted = try casebook.createCollection(CollectionSpec(name: "w", dimension: 64, embedder: .hashedV1()))
        let plain = try casebook.createCollection(CollectionSpec(
            name: "p", dimension: 64, embedder: .hashedV1(HashedNGramParameters(queryWeighting: .none))))
        var random = SplitMix64(seed: 8)
        let rows = (0..<40).map { Self.precedent("p\($0)", tenant: "t", &random) }
        for collection in [weighted, plain] {
            try collection.add(rows)
            try collection.add([Precedent(id: "x", tenant: "intruder", text: "zygomorphic quixotry")])
        }
        let request = SearchRequest(tenant: "t", k: 5, text: "zygomorphic quixotry")
        let none = try weighted.search(request)
        #expect(none.exact && none.results.isEmpty)
        #expect(try plain.search(request).results.count == 5)
        #expect(try plain.featureFrequencies(tenant: "t") == FeatureFrequencies())
        // One shared word is enough to match; explanations list no unshared feature.
        let some = try weighted.search(SearchRequest(tenant: "t", k: 5, text: "zygomorphic parcel", explain: true))
        #expect(!some.results.isEmpty)
        for result in some.results {
            let shared = try #require(result.explanation).features.map(\.token)
            #expect(!shared.contains { $0.contains("zygo") })
        }
        // The intruder's own precedent is found by its own tenant.
        #expect(try weighted.search(SearchRequest(tenant: "intruder", k: 5, text: "quixotry")).results.map(\.id) == ["x"])
    }

    /// Stored parameters from before query weighting existed read as `none`; new ones default to
    /// `idf`; options and bad names.
    @Test func weightingIsStoredAndChecked() throws {
        let old = #"{"wordNgrams":[1,2],"charNgrams":[3,5],"weights":{"context":0.45,"words":0.25,"chars":0.15,"tags":0.1,"category":0.05},"numberBucketsPerOctave":2,"smallIntegerLimit":16}"#
        #expect(try JSONDecoder().decode(HashedNGramParameters.self, from: Data(old.utf8)).queryWeighting == QueryWeighting.none)
        #expect(HashedNGramParameters().queryWeighting == .idf)
        let encoded = try JSONEncoder().encode(HashedNGramParameters())
        #expect(try JSONDecoder().decode(HashedNGramParameters.self, from: encoded) == HashedNGramParameters())
        #expect(try CollectionOptions(name: "c").spec().embedder.hashed?.queryWeighting == .idf)
        #expect(try CollectionOptions(name: "c", queryWeighting: "none").spec().embedder.hashed?.queryWeighting == QueryWeighting.none)
        #expect(throws: CasebookError.self) { try CollectionOptions(name: "c", queryWeighting: "bm25").spec() }
        #expect(throws: CasebookError.self) {
            try CollectionOptions(name: "c", embedder: "external", dim: 4, queryWeighting: "idf").spec()
        }
    }
}
