import Testing

@testable import Casebook
@testable import CasebookBench

/// recall@k on hand-made cases, and the exact-neighbour truth against a plain loop.
@Suite struct RecallTests {
    /// Similarities by id for the hand-made cases: id 10 − i scores i, so 9 > 8 > … > 0.
    static func score(_ id: Int32) -> Double { id < 0 || id > 10 ? -.infinity : Double(10 - id) }

    @Test func perfectPartialAndEmptyAnswers() {
        let truth: [Int32] = [1, 2, 3, 4]
        #expect(Recall.hits(k: 4, returned: [1, 2, 3, 4], truth: truth, similarity: Self.score) == (4, 4))
        #expect(Recall.hits(k: 4, returned: [4, 3, 2, 1], truth: truth, similarity: Self.score) == (4, 4))
        #expect(Recall.hits(k: 4, returned: [1, 2, 7, 8], truth: truth, similarity: Self.score) == (2, 4))
        #expect(Recall.hits(k: 4, returned: [], truth: truth, similarity: Self.score) == (0, 4))
        // Only the first k distinct returned ids count: a long answer earns nothing extra.
        #expect(Recall.hits(k: 2, returned: [9, 1, 2], truth: truth, similarity: Self.score) == (1, 2))
        // A repeated id counts once.
        #expect(Recall.hits(k: 4, returned: [1, 1, 1, 1], truth: truth, similarity: Self.score) == (1, 4))
    }

    @Test func tiesAtTheKthScoreAreHits() {
        // Rows 3 and 30 have the same similarity as the 3rd true neighbour (3).
        let tied: (Int32) -> Double = { $0 == 30 ? Self.score(3) : Self.score($0) }
        #expect(Recall.hits(k: 3, returned: [1, 2, 30], truth: [1, 2, 3], similarity: tied) == (3, 3))
        // Within float rounding of the tie.
        let nearlyTied: (Int32) -> Double = { $0 == 30 ? Self.score(3) * (1 - 1e-7) : Self.score($0) }
        #expect(Recall.hits(k: 3, returned: [1, 2, 30], truth: [1, 2, 3], similarity: nearlyTied) == (3, 3))
        // A tie with a row ranked *above* k does not make a worse row a hit.
        let below: (Int32) -> Double = { $0 == 30 ? Self.score(3) - 0.01 : Self.score($0) }
        #expect(Recall.hits(k: 3, returned: [1, 2, 30], truth: [1, 2, 3], similarity: below) == (2, 3))
        // Ties with the 1st neighbour but not the k-th: still only k-th ties count as extra hits,
        // yet this row is better than the k-th, so it is a hit.
        #expect(Recall.hits(k: 3, returned: [1, 30, 2], truth: [1, 2, 3], similarity: { $0 == 30 ? 9 : Self.score($0) }) == (3, 3))
    }

    @Test func paddedTruthAndUnknownIds() {
        // Truth with fewer than k neighbours (−1 padding): recall is over what exists.
        #expect(Recall.hits(k: 4, returned: [1, 2, 5, 6], truth: [1, 2, -1, -1], similarity: Self.score) == (2, 2))
        #expect(Recall.hits(k: 4, returned: [1, 2], truth: [-1, -1], similarity: Self.score) == (0, 0))
        // An id outside the base scores −infinity and is never a hit.
        #expect(Recall.hits(k: 2, returned: [1, 99], truth: [1, 2], similarity: Self.score) == (1, 2))
    }

    @Test func meanOverQueriesUsesVectorsNotReportedScores() {
        // Base: e0, e1, e0 again (a tie), e2. Queries near e0 and near e1, inner product.
        let base = FloatMatrix(rowCount: 4, dimension: 3, values: [1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1])
        let queries = FloatMatrix(rowCount: 2, dimension: 3, values: [1, 0.1, 0, 0.1, 1, 0])
        let truth = Int32Matrix(rowCount: 2, dimension: 1, values: [0, 1])
        // Query 0 answered with row 2 (tied with row 0): a hit. Query 1 answered with row 3: a miss.
        #expect(Recall.mean(k: 1, returned: [[2], [3]], truth: truth, base: base, queries: queries, metric: .innerProduct) == 0.5)
    }

    @Test(arguments: Metric.allCases)
    func exactNeighborsEqualAPlainLoop(_ metric: Metric) {
        var random = SeededRandom(seed: 77)
        let d = 19
        // Crosses the 4,096-row and 256-query blocks.
        let base = FloatMatrix(rowCount: 4_500, dimension: d, values: (0..<(4_500 * d)).map { _ in random.unit() })
        let queries = FloatMatrix(rowCount: 260, dimension: d, values: (0..<(260 * d)).map { _ in random.unit() })
        let truth = ExactNeighbors.compute(base: base, queries: queries, k: 7, metric: metric)
        #expect(truth.rowCount == 260 && truth.dimension == 7)
        for q in [0, 1, 128, 255, 256, 259] {
            let reference = (0..<base.rowCount)
                .map { (id: $0, score: Recall.similarity(metric, queries.row(q), base.row($0))) }
                .sorted { $0.score > $1.score }
            for (rank, id) in truth.row(q).enumerated() {
                let own = Recall.similarity(metric, queries.row(q), base.row(Int(id)))
                #expect(abs(own - reference[rank].score) <= 1e-5 * max(1, abs(own)), "query \(q) rank \(rank)")
            }
        }
        #expect(Recall.mean(k: 7, returned: (0..<260).map { Array(truth.row($0)) }, truth: truth,
                            base: base, queries: queries, metric: metric) == 1)
    }

    @Test func fewerRowsThanKArePadded() {
        let base = FloatMatrix(rowCount: 2, dimension: 2, values: [1, 0, 0, 1])
        let queries = FloatMatrix(rowCount: 1, dimension: 2, values: [0, 1])
        #expect(ExactNeighbors.compute(base: base, queries: queries, k: 4, metric: .innerProduct).values == [1, 0, -1, -1])
    }

    @Test func syntheticDataIsDeterministicAndUnitLength() {
        let a = SyntheticVectors.clustered(count: 300, dimension: 24, clusters: 5, centreSeed: 1, seed: 2)
        let b = SyntheticVectors.clustered(count: 300, dimension: 24, clusters: 5, centreSeed: 1, seed: 2)
        let c = SyntheticVectors.clustered(count: 300, dimension: 24, clusters: 5, centreSeed: 1, seed: 3)
        #expect(a.values == b.values && a.values != c.values)
        let sphere = SyntheticVectors.sphere(count: 300, dimension: 24, seed: 4)
        for matrix in [a, sphere] {
            for row in 0..<matrix.rowCount {
                let norm = matrix.row(row).reduce(0) { $0 + Double($1) * Double($1) }
                #expect(abs(norm - 1) < 1e-5)
            }
        }
        // Clustered points have near neighbours far closer than random points on the sphere do.
        func meanNearest(_ m: FloatMatrix) -> Double {
            let truth = ExactNeighbors.compute(base: m, queries: m.prefix(50), k: 2, metric: .innerProduct)
            return (0..<50).map { Recall.similarity(.innerProduct, m.row($0), m.row(Int(truth.row($0).last!))) }.reduce(0, +) / 50
        }
        #expect(meanNearest(a) > meanNearest(sphere) + 0.1)
    }
}
