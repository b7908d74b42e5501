import Foundation
import Synchronization
import Testing

@testable import Casebook

@Suite struct ConcurrencyTests {
    /// Searchers run while one writer adds batches of 25: every search must see whole batches
    /// only (a count that is a multiple of 25), and counts never go backwards for a searcher.
    @Test(arguments: StoreKind.allCases) func searchesSeeWholeBatchesWhileWriting(store: StoreKind) async throws {
        let database = TemporaryDatabase(store)
        let collection = try Casebook(path: database.path).createCollection(
            CollectionSpec(name: "c", dimension: 8, metric: .cosine))
        let batchSize = 25
        let batches = 40
        let query: [Float] = [1, 0, 0, 0, 0, 0, 0, 0]
        let searchesDone = Counter()
        try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                var random = SeededRandom(seed: 1)
                for b in 0..<batches {
                    // Interleave for sure: wait (up to 2 s) until a search ran since the last batch.
                    let before = searchesDone.value.load(ordering: .relaxed)
                    let deadline = Date().addingTimeInterval(2)
                    while searchesDone.value.load(ordering: .relaxed) == before, Date() < deadline {
                        try await Task.sleep(for: .milliseconds(1))
                    }
                    try collection.add((0..<batchSize).map { i in
                        Precedent(id: PrecedentID("b\(b)-\(i)"), tenant: "t", vector: random.vector(dimension: 8))
                    })
                }
                return 0
            }
            for searcher in 0..<6 {
                group.addTask {
                    var seen = 0
                    var searches = 0
                    while seen < batchSize * batches, !Task.isCancelled {
                        let count: Int
                        if searcher % 2 == 0 {
                            count = try collection.search(SearchRequest(tenant: "t", k: 1_000, vector: query, includePrecedents: false)).results.count
                        } else {
                            count = try collection.search(batch: BatchSearchRequest(tenant: "t", k: 1_000, vectors: [query, query], includePrecedents: false))[1].results.count
                        }
                        #expect(count % batchSize == 0, "torn read: \(count)")
                        #expect(count >= seen)
                        seen = count
                        searches += 1
                        searchesDone.value.add(1, ordering: .relaxed)
                        // Searches are synchronous: yield so the writer gets a thread of the
                        // (2-core) cooperative pool.
                        await Task.yield()
                    }
                    return searches
                }
            }
            var total = 0
            for try await searches in group { total += searches }
            #expect(total >= batches, "searches interleaved with every batch")
        }
        #expect(collection.count == batchSize * batches)
    }
}

/// A shared counter that escaping task closures can capture.
final class Counter: Sendable {
    let value = Atomic<Int>(0)
}
