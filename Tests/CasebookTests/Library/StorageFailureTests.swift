import Foundation
import GRDB
import Testing

@testable import Casebook
@testable import CasebookServer

/// A full disk (SQLite's `max_page_count` pinned at the file's size) and a read-only database
/// (`query_only` on the writer connection): every write that needs them fails with a clear
/// storage error, nothing in memory or on disk changes, searches go on answering, the match log
/// keeps its entries for later, and once the condition is lifted the same writes succeed.
@Suite struct StorageFailureTests {
    enum Condition: String, CaseIterable, Sendable {
        case diskFull, readOnly
        var code: Int32 { self == .diskFull ? 13 : 8 }  // SQLITE_FULL, SQLITE_READONLY
    }

    static let dimension = 32

    static func writer(_ casebook: Casebook, _ sql: String) throws {
        try casebook.sqliteStore.pool.writeWithoutTransaction { try $0.execute(sql: sql) }
    }

    static func impose(_ condition: Condition, on casebook: Casebook) throws {
        switch condition {
        case .diskFull:
            let pages = try casebook.sqliteStore.pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA page_count") ?? 0 }
            try writer(casebook, "PRAGMA max_page_count = \(pages)")
        case .readOnly:
            try writer(casebook, "PRAGMA query_only = 1")
        }
    }

    static func lift(_ condition: Condition, on casebook: Casebook) throws {
        try writer(casebook, condition == .diskFull ? "PRAGMA max_page_count = 1073741823" : "PRAGMA query_only = 0")
    }

    static func expectStorageError(_ condition: Condition, _ what: String, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("\(what) succeeded under \(condition)")
        } catch let error as CasebookError {
            guard case .storage(let code, _) = error, code & 0xFF == condition.code else {
                Issue.record("\(what): \(error)")
                return
            }
        } catch {
            Issue.record("\(what): \(error)")
        }
    }

    @Test(arguments: Condition.allCases) func refusedWritesChangeNothing(condition: Condition) throws {
        let database = TemporaryDatabase()
        let casebook = try Casebook(path: database.path)
        let collection = try casebook.createCollection(CollectionSpec(name: "c", dimension: Self.dimension, metric: .cosine))
        var random = SeededRandom(seed: 31)
        let rows = (0..<300).map { i in
            Precedent(id: PrecedentID("p\(i)"), tenant: i % 2 == 0 ? "a" : "b", tags: ["x"], vector: random.vector(dimension: Self.dimension))
        }
        try collection.add(rows)
        let queries = (0..<4).map { _ in random.vector(dimension: Self.dimension) }
        func answers() throws -> [[PrecedentID]] {
            try queries.map { try collection.search(SearchRequest(tenant: "a", k: 10, vector: $0, includePrecedents: false, log: false)).results.map(\.id) }
        }
        let before = try answers()
        let p0 = try collection.get(tenant: "a", id: "p0")
        let logged = try collection.search(SearchRequest(tenant: "a", k: 3, vector: queries[0]))
        try casebook.flushMatchLog()
        let statsBefore = try casebook.statistics(MatchStatisticsRequest(tenant: "a", collection: "c"))

        try Self.impose(condition, on: casebook)
        let big = (0..<2_000).map { i in
            Precedent(id: PrecedentID("big\(i)"), tenant: "a", text: String(repeating: "z", count: 200), vector: random.vector(dimension: Self.dimension))
        }
        Self.expectStorageError(condition, "add") { try collection.add(big) }
        if condition == .readOnly {
            // Writes that need no new page fail too when the file is read-only.
            Self.expectStorageError(condition, "update") { try collection.update(Precedent(id: "p0", tenant: "a", vector: queries[1])) }
            Self.expectStorageError(condition, "delete") { try collection.delete(tenant: "a", id: "p2") }
            Self.expectStorageError(condition, "use") {
                _ = try casebook.recordUse(UseEvent(tenant: "a", queryId: logged.queryId, precedentId: logged.results[0].id, type: .applied))
            }
            Self.expectStorageError(condition, "create") { _ = try casebook.createCollection(CollectionSpec(name: "d", dimension: 4)) }
        }
        // Searches still answer, from memory, identically; their log entries wait.
        #expect(try answers() == before)
        for query in queries { _ = try collection.search(SearchRequest(tenant: "a", k: 5, vector: query)) }
        if condition == .readOnly {
            Self.expectStorageError(condition, "match log flush") { try casebook.flushMatchLog() }
        } else {
            try? casebook.flushMatchLog()  // a few log rows may still fit in the file's free pages
        }
        #expect(collection.count == 300)
        #expect(try collection.get(tenant: "a", id: "p0") == p0)
        #expect(throws: CasebookError.self) { try collection.get(tenant: "a", id: "big0") }
        let stored = try StoredFile(path: database.path, collection: "c")
        #expect(stored.integrity == "ok")
        #expect(stored.rows.count == 300)

        // Lifted: the same writes go through, and the waiting log entries are written, none lost.
        try Self.lift(condition, on: casebook)
        try collection.add(big)
        try casebook.flushMatchLog()
        #expect(casebook.matchLog.droppedEntries == 0)
        let statsAfter = try casebook.statistics(MatchStatisticsRequest(tenant: "a", collection: "c"))
        #expect(statsAfter.queries == statsBefore.queries + queries.count)
        #expect(collection.count == 2_300)
        let reopened = try StoredFile(path: database.path, collection: "c")
        #expect(reopened.integrity == "ok")
        try reopened.expectIndexMatchesStoredVectors(path: database.path, collection: "c", metric: .cosine, dimension: Self.dimension, seed: 3)
    }

    /// While the database refuses writes the log holds at most MatchLog.maxPendingRows shown rows
    /// (memory bounded whatever k is); later searches are counted as dropped, the kept ones are
    /// written once it accepts them again.
    @Test func matchLogBufferIsBoundedWhileTheDatabaseRefuses() throws {
        let database = TemporaryDatabase()
        let casebook = try Casebook(path: database.path)
        let collection = try casebook.createCollection(CollectionSpec(name: "c", dimension: 4, metric: .l2))
        var random = SeededRandom(seed: 33)
        try collection.add((0..<1_000).map { Precedent(id: PrecedentID("p\($0)"), tenant: "a", vector: random.vector(dimension: 4)) })
        try Self.impose(.readOnly, on: casebook)
        let searches = MatchLog.maxPendingRows / 1_000 + 100
        for _ in 0..<searches {
            _ = try collection.search(SearchRequest(tenant: "a", k: 1_000, vector: random.vector(dimension: 4), includePrecedents: false))
        }
        #expect(casebook.matchLog.droppedEntries == 100)
        try Self.lift(.readOnly, on: casebook)
        try casebook.flushMatchLog()
        let stats = try casebook.statistics(MatchStatisticsRequest(tenant: "a", collection: "c"))
        #expect(stats.queries == searches - 100 && stats.shown == MatchLog.maxPendingRows)
    }

    /// Training the database refuses to store fails and leaves the previous index in force.
    @Test func refusedTrainingKeepsThePreviousIndex() throws {
        let database = TemporaryDatabase()
        let casebook = try Casebook(path: database.path)
        let collection = try casebook.createCollection(CollectionSpec(
            name: "v", dimension: Self.dimension, metric: .l2, index: .ivf(IVFParameters(nlist: 8, nprobe: 1, flatThreshold: 10))))
        var random = SeededRandom(seed: 32)
        try collection.add((0..<3_000).map { i in Precedent(id: PrecedentID("p\(i)"), tenant: "a", vector: random.vector(dimension: Self.dimension)) })
        _ = try collection.trainIndex()
        let query = random.vector(dimension: Self.dimension)
        let before = try collection.search(SearchRequest(tenant: "a", k: 10, vector: query, includePrecedents: false, log: false)).results.map(\.id)
        let trained = collection.indexInfo.training

        try Self.impose(.readOnly, on: casebook)
        Self.expectStorageError(.readOnly, "train") { _ = try collection.trainIndex(nlist: 16) }
        #expect(collection.indexInfo.nlist == 8)
        #expect(collection.indexInfo.training == trained)
        #expect(try collection.search(SearchRequest(tenant: "a", k: 10, vector: query, includePrecedents: false, log: false)).results.map(\.id) == before)
        try Self.lift(.readOnly, on: casebook)
        let reopened = try Casebook(path: database.path).collection("v")
        #expect(reopened.indexInfo.nlist == 8)
    }

    /// The socket API answers these conditions with their own statuses, not a bare 500.
    @Test func serverMapsFullAndReadOnlyToTheirOwnStatuses() {
        let full = APIError(CasebookError.storage(code: 13, message: "database or disk is full"))
        #expect(full.status.code == 507 && full.code == "storage_full")
        let readOnly = APIError(CasebookError.storage(code: 8, message: "attempt to write a readonly database"))
        #expect(readOnly.status == .serviceUnavailable && readOnly.code == "read_only")
        let other = APIError(CasebookError.storage(code: 11, message: "database disk image is malformed"))
        #expect(other.status == .internalServerError && !other.message.contains("malformed"))
    }
}
