import Foundation
import GRDB
import Testing

@testable import Casebook

@Suite struct PersistenceTests {
    static func rows(_ count: Int, dimension: Int, seed: UInt64) -> [ReferenceRow] {
        FlatSearchTests.makeRows(count: count, dimension: dimension, tenants: ["acme", "globex"], seed: seed)
    }

    @Test(arguments: Metric.allCases, StoreKind.allCases)
    func reopenGivesIdenticalResults(metric: Metric, store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let rows = Self.rows(800, dimension: 24, seed: 21)
        var random = SeededRandom(seed: 8)
        let queries = (0..<10).map { _ in random.vector(dimension: 24) }
        let filter = SearchFilter(category: "ndr")
        var before: [[SearchResult]] = []
        do {
            let collection = try Casebook(path: database.path).createCollection(
                CollectionSpec(name: "c", dimension: 24, metric: metric))
            try collection.add(rows.map(\.precedent))
            try collection.delete(tenant: "acme", id: "p10")
            var changed = try collection.get(tenant: "globex", id: "p11")
            changed.wasSuccessful = true
            changed.tags = ["vip", "cod"]
            try collection.update(changed)
            for query in queries {
                before.append(try collection.search(SearchRequest(tenant: "acme", k: 10, vector: query)).results)
                before.append(try collection.search(SearchRequest(tenant: "globex", k: 10, vector: query, filter: filter)).results)
                before.append(try collection.search(SearchRequest(tenant: "globex", k: 10, vector: query, filter: SearchFilter(tags: ["vip"]))).results)
            }
        }
        let reopened = try Casebook(path: database.path).collection("c")
        #expect(reopened.spec.metric == metric)
        #expect(reopened.count == 799)
        #expect(reopened.index.read { $0._checkInvariants() })
        var after: [[SearchResult]] = []
        for query in queries {
            after.append(try reopened.search(SearchRequest(tenant: "acme", k: 10, vector: query)).results)
            after.append(try reopened.search(SearchRequest(tenant: "globex", k: 10, vector: query, filter: filter)).results)
            after.append(try reopened.search(SearchRequest(tenant: "globex", k: 10, vector: query, filter: SearchFilter(tags: ["vip"]))).results)
        }
        #expect(before == after)
        #expect(try reopened.get(tenant: "globex", id: "p11").tags == ["cod", "vip"])
    }

    /// Rows of several collections interleave in the tables; each reopens with exactly its own.
    @Test(arguments: StoreKind.allCases) func interleavedCollectionsReopenSeparately(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        var random = SeededRandom(seed: 12)
        var expected: [String: [PrecedentID: [Float]]] = [:]
        do {
            let casebook = try Casebook(path: database.path)
            let a = try casebook.createCollection(CollectionSpec(name: "a", dimension: 3, metric: .innerProduct))
            let b = try casebook.createCollection(CollectionSpec(name: "b", dimension: 5, metric: .l2))
            for round in 0..<20 {
                let va = random.vector(dimension: 3), vb = random.vector(dimension: 5)
                try a.add([Precedent(id: PrecedentID("x\(round)"), tenant: "t", tags: ["a\(round % 3)"], vector: va)])
                try b.add([Precedent(id: PrecedentID("x\(round)"), tenant: "t", tags: ["b"], vector: vb)])
                expected["a", default: [:]][PrecedentID("x\(round)")] = va
                expected["b", default: [:]][PrecedentID("x\(round)")] = vb
            }
            try a.delete(tenant: "t", id: "x3")
            expected["a"]![PrecedentID("x3")] = nil
        }
        let casebook = try Casebook(path: database.path)
        for name in ["a", "b"] {
            let collection = try casebook.collection(name)
            #expect(collection.count == expected[name]!.count)
            #expect(collection.index.read { $0._checkInvariants() })
            for (id, vector) in expected[name]! {
                #expect((try collection.indexedVector(tenant: "t", id: id)) == vector)
            }
        }
        let tagged = try casebook.collection("a").search(
            SearchRequest(tenant: "t", k: 100, vector: [0, 0, 1], filter: SearchFilter(tags: ["a0"])))
        #expect(Set(tagged.results.map(\.id)) == ["x0", "x6", "x9", "x12", "x15", "x18"])
    }

    @Test(arguments: StoreKind.allCases) func storedFieldsRoundTrip(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let created = Date(timeIntervalSince1970: 1_768_000_000.25)
        let original = Precedent(
            id: "ndr-1", tenant: "acme", category: "ndr_resolution", decisionEventId: "evt-9",
            context: ["carrier": "delhivery", "attempts": 2, "cod": true, "order": ["value": 1299.5, "items": [1, 2]], "note": nil],
            text: "Customer unreachable \"twice\"\n", outcome: "rto", wasSuccessful: false,
            tags: ["cod", "metro"], createdAt: created, vector: [3, 4])
        do {
            let collection = try Casebook(path: database.path).createCollection(
                CollectionSpec(name: "c", dimension: 2, metric: .innerProduct))
            try collection.add([original])
        }
        let stored = try Casebook(path: database.path).collection("c").get(tenant: "acme", id: "ndr-1")
        #expect(stored == original)
    }

    /// Each bad item aborts the whole batch with an error naming it; nothing is written.
    @Test(arguments: [
        (Precedent(id: "bad", tenant: "acme", vector: [1, 2, 3]), CasebookError.dimensionMismatch(expected: 4, actual: 3)),
        (Precedent(id: "bad", tenant: "acme", vector: [1, .nan, 0, 0]), CasebookError.nonFiniteVector(position: 1)),
        (Precedent(id: "bad", tenant: "acme", vector: [1, .infinity, 0, 0]), CasebookError.nonFiniteVector(position: 1)),
        (Precedent(id: "bad", tenant: "", vector: [1, 0, 0, 0]), CasebookError.missingTenant),
        (Precedent(id: "bad", tenant: "acme", vector: nil), CasebookError.missingVector),
        (Precedent(id: "bad", tenant: "acme", vector: [0, 0, 0, 0]), CasebookError.zeroVector),
        (Precedent(id: "a1", tenant: "acme", vector: [1, 0, 0, 0]), CasebookError.duplicateID("a1")),
        (Precedent(id: "", tenant: "acme", vector: [1, 0, 0, 0]), CasebookError.invalidIdentifier("id is empty")),
        (Precedent(id: "bad", tenant: "acme", context: ["x": .number(.nan)], vector: [1, 0, 0, 0]),
         CasebookError.invalidField("context holds a non-finite number")),
    ])
    func invalidItemRefusesWholeBatch(bad: Precedent, expected: CasebookError) throws {
        try invalidItemRefusesWholeBatch(bad: bad, expected: expected, database: TemporaryDatabase(.sqlite))
        try invalidItemRefusesWholeBatch(bad: bad, expected: expected, database: TemporaryDatabase(.postgres))
    }

    private func invalidItemRefusesWholeBatch(bad: Precedent, expected: CasebookError, database: TemporaryDatabase) throws {
        let casebook = try Casebook(path: database.path)
        let collection = try casebook.createCollection(CollectionSpec(name: "c", dimension: 4, metric: .cosine))
        try collection.add([Precedent(id: "seed", tenant: "acme", vector: [0, 0, 0, 1])])
        let snapshot = try Self.snapshot(database)
        let batch = [
            Precedent(id: "a0", tenant: "acme", vector: [1, 0, 0, 0]),
            Precedent(id: "a1", tenant: "acme", vector: [0, 1, 0, 0]),
            bad,
            Precedent(id: "a3", tenant: "acme", vector: [0, 0, 1, 0]),
        ]
        #expect(throws: CasebookError.item(index: 2, id: bad.id, problem: expected)) {
            try collection.add(batch)
        }
        #expect(try Self.snapshot(database) == snapshot)
        #expect(collection.count == 1)
        let reopened = try Casebook(path: database.path).collection("c")
        #expect(reopened.count == 1)
    }

    /// An id already stored (not just repeated inside the batch) is caught by the database
    /// constraint, and the transaction leaves nothing behind.
    @Test(arguments: StoreKind.allCases) func idAlreadyStoredRefusesWholeBatch(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let collection = try Casebook(path: database.path).createCollection(CollectionSpec(name: "c", dimension: 2))
        try collection.add([Precedent(id: "x", tenant: "acme", vector: [1, 0])])
        let snapshot = try Self.snapshot(database)
        #expect(throws: CasebookError.item(index: 1, id: "x", problem: .duplicateID("x"))) {
            try collection.add([
                Precedent(id: "y", tenant: "acme", vector: [0, 1]),
                Precedent(id: "x", tenant: "acme", vector: [1, 1]),
            ])
        }
        #expect(try Self.snapshot(database) == snapshot)
        #expect(collection.count == 1)
        // The same id under another tenant is a different precedent.
        try collection.add([Precedent(id: "x", tenant: "globex", vector: [1, 1])])
        #expect(collection.count == 2)
    }

    @Test(arguments: StoreKind.allCases) func collectionsPersistAndRefuseDuplicates(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        do {
            let casebook = try Casebook(path: database.path)
            try casebook.createCollection(CollectionSpec(name: "ndr", dimension: 384, metric: .cosine,
                                                         embedder: .external(spaceId: "minilm-l6-384")))
            try casebook.createCollection(CollectionSpec(name: "credit", dimension: 8, metric: .l2))
            #expect(throws: CasebookError.collectionExists("ndr")) {
                try casebook.createCollection(CollectionSpec(name: "ndr", dimension: 3))
            }
            #expect(throws: CasebookError.invalidCollectionName("bad name")) {
                try casebook.createCollection(CollectionSpec(name: "bad name", dimension: 3))
            }
            #expect(throws: CasebookError.invalidDimension(0, max: CollectionSpec.maxDimension)) {
                try casebook.createCollection(CollectionSpec(name: "zero", dimension: 0))
            }
        }
        let casebook = try Casebook(path: database.path)
        #expect(casebook.collections.map(\.name) == ["credit", "ndr"])
        #expect(try casebook.collection("ndr").spec.embedder.spaceId == "minilm-l6-384")
        #expect(throws: CasebookError.collectionNotFound("nope")) { try casebook.collection("nope") }
    }

    @Test func newerPostgresFormatIsRefused() throws {
        let database = TemporaryDatabase(.postgres)
        _ = try Casebook(path: database.path)
        #expect(try TestPostgres.query(database.path, "SELECT value FROM casebook.meta WHERE key = 'format_version'") == ["3"])
        _ = try TestPostgres.query(database.path, "UPDATE casebook.meta SET value = '99' WHERE key = 'format_version'")
        #expect(throws: CasebookError.unsupportedFormat(found: 99, supported: 3)) {
            try Casebook(path: database.path)
        }
    }

    @Test func newerFormatIsRefused() throws {
        let database = TemporaryDatabase()
        _ = try Casebook(path: database.path)
        let queue = try DatabaseQueue(path: database.path)
        #expect(try queue.read { try String.fetchOne($0, sql: "SELECT value FROM casebook_meta WHERE key = 'format_version'") } == "3")
        try queue.write { try $0.execute(sql: "UPDATE casebook_meta SET value = '99' WHERE key = 'format_version'") }
        #expect(throws: CasebookError.unsupportedFormat(found: 99, supported: 3)) {
            try Casebook(path: database.path)
        }
    }

    /// Every row of every table, as text: equal snapshots mean an unchanged database (on
    /// PostgreSQL, the change feed included).
    static func snapshot(_ database: TemporaryDatabase) throws -> [String] {
        if database.kind == .postgres {
            return try ["collection", "precedent", "ivf_index", "change"].flatMap { table in
                try TestPostgres.query(database.path, "SELECT t::text FROM casebook.\(table) t ORDER BY 1").map {
                    "\(table): \($0 ?? "")"
                }
            }
        }
        let queue = try DatabaseQueue(path: database.path)
        return try queue.read { db in
            var lines: [String] = []
            for table in ["collection", "precedent", "precedent_tag", "precedent_vector"] {
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY 1") {
                    lines.append("\(table): \(row)")
                }
            }
            return lines
        }
    }
}
