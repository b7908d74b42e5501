import Foundation
import Testing

@testable import Casebook

@Suite struct IndexUnitTests {
    @Test func topKKeepsTheLargest() {
        var random = SeededRandom(seed: 4)
        for k in [1, 3, 10, 50] {
            var top = TopK(k: k)
            var all: [Float] = []
            for row in 0..<500 {
                let value = Float.random(in: -1...1, using: &random)
                all.append(value)
                if value > top.threshold { top.push(value, row: Int32(row)) }
            }
            let expected = all.enumerated().sorted { $0.element > $1.element }.prefix(k)
            #expect(top.sortedDescending().map(\.similarity) == expected.map(\.element))
            #expect(top.sortedDescending().map(\.row) == expected.map { Int32($0.offset) })
        }
    }

    @Test func anyGreaterMatchesScalarCheck() {
        var random = SeededRandom(seed: 6)
        for _ in 0..<2_000 {
            let values = (0..<16).map { _ in Float.random(in: -1...1, using: &random) }
            let threshold = Float.random(in: -1.2...1.2, using: &random)
            let fast = values.withUnsafeBufferPointer { ScanKernel.anyGreater($0.baseAddress!, than: threshold) }
            #expect(fast == values.contains { $0 > threshold })
        }
        let infinite: [Float] = Array(repeating: 0, count: 16)
        #expect(infinite.withUnsafeBufferPointer { ScanKernel.anyGreater($0.baseAddress!, than: -.infinity) })
    }

    @Test func slabStaysConsistentThroughRemovalsAndUpdates() throws {
        var index = FlatIndex(dimension: 4, metric: .l2)
        var random = SeededRandom(seed: 2)
        var live: [PrecedentID: [Float]] = [:]
        for step in 0..<400 {
            let id = PrecedentID("r\(Int.random(in: 0..<60, using: &random))")
            let vector = random.vector(dimension: 4)
            if live[id] == nil {
                index.add([IndexedRow(tenant: "t", id: id, key: Int64(step), vector: vector, category: "c",
                                      tags: ["a"], wasSuccessful: true, createdAt: 0)])
                live[id] = vector
            } else if Bool.random(using: &random) {
                let removed = index.remove(tenant: "t", id: id)
                #expect(removed)
                live[id] = nil
            } else {
                index.update(IndexedRow(tenant: "t", id: id, key: Int64(step), vector: vector, category: nil,
                                        tags: [], wasSuccessful: nil, createdAt: 1))
                live[id] = vector
            }
            #expect(index._checkInvariants())
            #expect(index.count(tenant: "t") == live.count)
        }
        for (id, vector) in live { #expect(try index.vector(tenant: "t", id: id) == vector) }
        let all = try index.search(IndexQuery(tenant: "t", vector: [0, 0, 0, 0], k: 100, filter: SearchFilter()))
        #expect(Set(all.hits.map(\.id)) == Set(live.keys))
    }

    /// Both scan kernels (portable Swift and, where the CPU has it, AVX2) against brute force,
    /// for every metric, dimensions with and without a tail, and a filter.
    @Test(arguments: Metric.allCases, [5, 32, 48, 100])
    func bothScanKernelsEqualBruteForce(metric: Metric, dimension: Int) throws {
        var random = SeededRandom(seed: UInt64(dimension))
        var index = FlatIndex(dimension: dimension, metric: metric)
        var reference: [ReferenceRow] = []
        for i in 0..<700 {
            var vector = random.vector(dimension: dimension)
            if metric == .cosine { vector = vector.normalizedForTest }
            let row = ReferenceRow(tenant: "t", id: PrecedentID("r\(i)"), vector: vector,
                                   category: i % 3 == 0 ? "a" : "b", tags: [], wasSuccessful: nil,
                                   createdAt: Date(timeIntervalSince1970: 0))
            reference.append(row)
            index.add([IndexedRow(tenant: "t", id: row.id, key: Int64(i), vector: vector, category: row.category,
                                  tags: [], wasSuccessful: nil, createdAt: 0)])
        }
        let kernels: [ScanKernel.Choice] = ScanKernel.hasAVX2 ? [.portable, .avx2] : [.portable]
        for filter in [SearchFilter(), SearchFilter(category: "a")] {
            var query = random.vector(dimension: dimension)
            if metric == .cosine { query = query.normalizedForTest }
            let expected = BruteForce.search(reference, tenant: "t", query: query, k: 15, metric: metric, filter: filter)
            let all = Dictionary(uniqueKeysWithValues: reference.map { ($0.id, BruteForce.score(query, $0.vector, metric)) })
            for kernel in kernels {
                let answer = try index.search(IndexQuery(tenant: "t", vector: query, k: 15, filter: filter), kernel: kernel)
                let results = answer.hits.enumerated().map {
                    SearchResult(rank: $0.offset + 1, id: $0.element.id, score: $0.element.score, precedent: nil)
                }
                expectMatches(results, expected, allScores: all)
            }
        }
    }

    /// A tenant whose slab exists but is empty (reserved, nothing loaded) answers with no hits.
    @Test func emptySlabAnswersEmpty() throws {
        var index = FlatIndex(dimension: 3, metric: .cosine)
        index.reserve([("t", 10)])
        let filter = SearchFilter()
        #expect(try index.search(IndexQuery(tenant: "t", vector: [1, 0, 0], k: 5, filter: filter)).hits.isEmpty)
        #expect(try index.search(IndexQuery(tenant: "t", vector: [1, 0, 0], k: 5, filter: filter), kernel: .portable).hits.isEmpty)
        let batch = try index.search(batch: IndexBatchQuery(tenant: "t", vectors: [1, 0, 0, 0, 1, 0], k: 5, filter: filter))
        #expect(batch.count == 2 && batch.allSatisfy { $0.hits.isEmpty })
    }

    @Test func floatStorageCopiesOnWrite() {
        var a = FloatStorage()
        a.append(contentsOf: [1, 2, 3])
        var b = a
        b.replace(at: 0, with: [9])
        a.append(contentsOf: [4])
        #expect(a.slice(0..<4) == [1, 2, 3, 4])
        #expect(b.slice(0..<3) == [9, 2, 3])
        b.removeLast(2)
        #expect(b.count == 1)
        #expect(a.count == 4)
    }
}
