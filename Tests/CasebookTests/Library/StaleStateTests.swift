import Foundation
import PostgresNIO
import Testing

@testable import Casebook

/// A node that has not yet followed another's re-embedding or training never stores what its
/// older state made: its write is refused by the store, it follows the feed and writes again.
/// Two instances on one database, neither following by itself, stand for two nodes: on both
/// stores, every stored vector, IVF list and count afterwards is what the database's state gives
/// (checked against a recount and against a fresh instance's quantizer). A re-embedding of one
/// tenant does not hold up writes to another.
@Suite struct StaleStateTests {
    /// `count` rows of `tenant` with ids `<prefix>0`... (ReembedTests' rows, numbers times `scale`).
    static func rows(_ prefix: String, tenant: String, count: Int, scale: Double = 1, seed: UInt64) -> [Precedent] {
        ReembedTests.rows(tenant: tenant, count: count, scale: scale, seed: seed).enumerated().map { i, row in
            var row = row
            row.id = PrecedentID("\(prefix)\(i)")
            return row
        }
    }

    /// Collection "c" of a new instance on `database`: hashed-v2 at 64 dims, IVF of 4 lists
    /// (tenants of 16 rows or more listed); the instance too, which the collection follows through.
    static func ivfCollection(_ database: TemporaryDatabase, nprobe: Int = 4) throws -> (Casebook, PrecedentCollection) {
        let casebook = try Casebook(path: database.path)
        var spec = CollectionSpec(name: "c", dimension: 64, embedder: .hashedV2())
        spec.index = .ivf(IVFParameters(nlist: 4, nprobe: nprobe, flatThreshold: 16))
        return (casebook, try casebook.createCollection(spec))
    }

    /// Every stored row's IVF list is where the stored quantizer files its stored vector.
    static func expectListsFit(_ database: TemporaryDatabase, tenants: [TenantID]) throws {
        let fresh = try Casebook(path: database.path).collection("c")
        for tenant in tenants {
            let stored = try fresh.store.currentRows(
                collection: fresh.recordID, tenant: tenant, ids: nil, dimension: fresh.spec.dimension)
            #expect(!stored.isEmpty)
            for row in stored {
                let placed = fresh.index.read { $0.placements(for: [row.vector])?.first }
                #expect(row.list != nil && row.list == placed, "\(row.id): list \(String(describing: row.list)), placed \(String(describing: placed))")
            }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aLaggingNodeWritesWithTheStateOfTheReembeddingItMissed(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let first = try Casebook(path: database.path)
        let collection = try first.createCollection(CollectionSpec(name: "c", dimension: 128, embedder: .hashedV2()))
        var held = Self.rows("a", tenant: "acme", count: 40, seed: 21) + Self.rows("g", tenant: "globex", count: 20, seed: 22)
        try collection.add(held)
        try collection.reembed()

        // The second node opens now, and does not follow what the first does next.
        let second = try Casebook(path: database.path)
        let lagging = try second.collection("c")
        let position = second.appliedChangePosition
        let grown = Self.rows("b", tenant: "acme", count: 60, scale: 1_000, seed: 23)
        try collection.add(grown)
        held += grown
        try collection.reembed(tenants: ["acme"])
        // acme's numbers are now a thousand times what the lagging node's scales know.
        #expect(collection.spec.embedder != lagging.spec.embedder)

        // A write to another tenant needs nothing of acme's new state: no following.
        let generation = lagging.embedderGeneration
        var replaced = held[45]
        #expect(replaced.tenant == "globex")
        replaced.context["minutes"] = 77
        try lagging.update(replaced)
        held[45] = replaced
        #expect(lagging.embedderGeneration == generation && second.appliedChangePosition == position)

        // Writes to acme: each refused by the store, followed by the feed, written with acme's new state.
        let late = Self.rows("late", tenant: "acme", count: 3, scale: 1_000, seed: 24)
        try lagging.add(late)
        held += late
        #expect(lagging.spec.embedder == collection.spec.embedder)
        #expect(second.appliedChangePosition > position)
        var changed = held[70]
        #expect(changed.tenant == "acme")
        changed.context["minutes"] = .number(1_500_000)
        try lagging.update(changed)
        held[70] = changed
        try lagging.delete(tenant: "acme", id: held[3].id!)
        held.remove(at: 3)

        // Stored vectors and counts are what the stored state gives, here and on a fresh instance.
        try ReembedTests.expectConsistent(lagging, held, "lagging node")
        try ReembedTests.expectConsistent(try Casebook(path: database.path).collection("c"), held, "reopened")
        try first.catchUp()
        try ReembedTests.expectConsistent(collection, held, "first node")
        try ReembedTests.expectSearchesEqualBruteForce(lagging, held)
    }

    @Test(arguments: StoreKind.allCases)
    func aLaggingNodeReembedsFromTheStateOtherNodesLeft(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let first = try Casebook(path: database.path)
        let collection = try first.createCollection(CollectionSpec(name: "c", dimension: 128, embedder: .hashedV2()))
        var held = Self.rows("a", tenant: "acme", count: 30, seed: 31) + Self.rows("g", tenant: "globex", count: 30, seed: 32)
        try collection.add(held)
        try collection.reembed()
        let lagging = try Casebook(path: database.path).collection("c")

        // The first node fits globex anew; the lagging node, not knowing, fits acme.
        let globex = Self.rows("h", tenant: "globex", count: 40, scale: 100, seed: 33)
        let acme = Self.rows("b", tenant: "acme", count: 40, scale: 10, seed: 34)
        try collection.add(globex + acme)
        held += globex + acme
        try collection.reembed(tenants: ["globex"])
        let globexFit = try #require(collection.spec.embedder.numericScales)
        try lagging.reembed(tenants: ["acme"])

        // Both fits are stored: the lagging node's state document was made from the first's.
        let stored = try Casebook(path: database.path).collection("c")
        let scales = try #require(stored.spec.embedder.numericScales)
        #expect(scales.tenants["globex"] == globexFit.tenants["globex"] && scales.tenants["globex"] != nil)
        #expect(scales.fieldWeights["globex"] == globexFit.fieldWeights["globex"])
        #expect(scales.fitted["globex"] == TenantFitBasis(precedents: 70, knownOutcomes: 70))
        #expect(scales.fitted["acme"] == TenantFitBasis(precedents: 70, knownOutcomes: 70))
        #expect(stored.staleTenants().isEmpty)
        try ReembedTests.expectConsistent(stored, held)
        try ReembedTests.expectConsistent(lagging, held)
    }

    @Test(arguments: StoreKind.allCases)
    func aLaggingNodeFilesRowsByTheQuantizerTrainedSince(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let (first, collection) = try Self.ivfCollection(database)
        _ = first
        try collection.add(Self.rows("a", tenant: "acme", count: 150, seed: 41) + Self.rows("g", tenant: "globex", count: 60, seed: 42))
        try collection.trainIndex(nlist: 4)
        let secondInstance = try Casebook(path: database.path)
        let second = try secondInstance.collection("c")

        // Trained again with twice the lists: the second node's rows go into the new ones.
        try collection.trainIndex(nlist: 8)
        try second.add(Self.rows("late", tenant: "globex", count: 40, seed: 43))
        #expect(second.indexInfo.nlist == 8)
        try Self.expectListsFit(database, tenants: ["acme", "globex"])

        // The second node re-embeds; the first, not knowing, trains on its old vectors: it is
        // refused, follows, and trains on the new ones.
        try second.reembed()
        try collection.trainIndex(nlist: 6)
        #expect(collection.spec.embedder == second.spec.embedder)
        try Self.expectListsFit(database, tenants: ["acme", "globex"])
    }

    /// A node trains while it has not yet followed another's deletes: the rows its index still
    /// holds but the database no longer does get no list (SQLite refused the whole training over
    /// them before), and once it follows, its index answers as a reopened one.
    @Test(arguments: StoreKind.allCases)
    func aLaggingNodeTrainsOverRowsDeletedElsewhere(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let (first, collection) = try Self.ivfCollection(database, nprobe: 1)
        try collection.add(Self.rows("a", tenant: "acme", count: 120, seed: 61))
        let other = try Casebook(path: database.path).collection("c")
        for i in stride(from: 0, to: 120, by: 5) { try other.delete(tenant: "acme", id: PrecedentID("a\(i)")) }

        #expect(throws: Never.self) { try collection.trainIndex(nlist: 6) }
        try Self.expectListsFit(database, tenants: ["acme"])
        try first.catchUp()
        #expect(collection.count(tenant: "acme") == 96)
        let reopened = try Casebook(path: database.path).collection("c")
        for row in Self.rows("q", tenant: "acme", count: 10, seed: 62) {
            let request = SearchRequest(tenant: "acme", k: 5, text: row.text, context: row.context, log: false)
            #expect(try collection.search(request).results.map(\.id) == reopened.search(request).results.map(\.id))
        }
    }

    /// PostgreSQL: a row another node inserts while a training's transaction runs (its list from
    /// the old quantizer, committed before the training takes the feed's lock) is not left in that
    /// list: the training clears it, and it is filed by the new quantizer when read. The feed's
    /// lock, held here, stops the training just before its commit; the insert is made as a node
    /// makes one (row and feed entry), by copying a stored row under another id with a list the
    /// new quantizer does not give its vector.
    @Test func aRowInsertedWhileATrainingCommitsIsFiledByTheNewQuantizer() throws {
        let database = TemporaryDatabase(.postgres)
        let (first, collection) = try Self.ivfCollection(database)
        _ = first
        try collection.add(Self.rows("a", tenant: "acme", count: 150, seed: 51))
        try collection.trainIndex(nlist: 4)

        let holder = try PostgresConnections(address: try PostgresAddress(url: database.path))
        let connection = try holder.open()
        defer { PostgresConnections.close(connection) }
        let session = PostgresSession(connection: connection, logger: holder.logger)
        try session.execute("SELECT pg_advisory_lock($1)", PostgresBindings(PostgresSchema.Locks.feed))
        let training = Thread { _ = try? collection.trainIndex(nlist: 8) }
        training.start()
        var waiting = false
        for _ in 0..<500 where !waiting {
            let rows = try session.query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            waiting = (rows.first.flatMap { try? $0.decode(Int64.self) } ?? 0) > 0
            if !waiting { Thread.sleep(forTimeInterval: 0.01) }
        }
        #expect(waiting, "the training never reached the feed's lock")
        let columns = "collection_id, tenant, category, decision_event_id, text, outcome, policy_version, context, "
            + "was_successful, created_at, updated_at, tags, vector, action"
        // Eight copies of one stored row, in lists 0-7: whatever list the new quantizer gives
        // their vector, seven of them are in another.
        try session.execute("BEGIN")
        try session.execute(
            """
            INSERT INTO casebook.precedent (id, ivf_list, \(columns))
            SELECT 'late' || n, n, \(columns) FROM casebook.precedent, generate_series(0, 7) AS n WHERE id = 'a0'
            """)
        try session.execute(
            """
            INSERT INTO casebook.change (position, collection_id, kind, tenant, ids, keys, committed_at)
            SELECT (SELECT coalesce(max(position), 0) + 1 FROM casebook.change), collection_id, 'upsert', tenant,
                array_agg(id), array_agg(pk), 0 FROM casebook.precedent WHERE id LIKE 'late%' GROUP BY collection_id, tenant
            """)
        try session.execute("COMMIT")
        try session.execute("SELECT pg_advisory_unlock($1)", PostgresBindings(PostgresSchema.Locks.feed))
        for _ in 0..<500 where !training.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        #expect(collection.indexInfo.nlist == 8)
        #expect(try Casebook(path: database.path).collection("c").count(tenant: "acme") == 158)
        try Self.expectListsFitOrClear(database)
    }

    /// Every stored row's list is cleared or where the stored quantizer files its vector.
    static func expectListsFitOrClear(_ database: TemporaryDatabase) throws {
        let fresh = try Casebook(path: database.path).collection("c")
        for row in try fresh.store.currentRows(collection: fresh.recordID, tenant: "acme", ids: nil, dimension: 64) {
            let placed = fresh.index.read { $0.placements(for: [row.vector])?.first }
            #expect(row.list == nil || row.list == placed, "\(row.id)")
        }
    }
}
