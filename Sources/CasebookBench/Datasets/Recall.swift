import Casebook
/// recall@k as ANN benchmarks count it: the share of the true k nearest neighbours that a search
/// returned, where a returned row whose similarity ties the k-th true one also counts (with tied
/// scores, any of the tied rows is a correct k-th answer).
public enum Recall {
    /// Hits among the first `k` distinct returned ids.
    ///
    /// - Parameters:
    ///   - truth: true neighbour ids, best first; negative ids (padding, as FAISS writes for
    ///     fewer than k neighbours) end the list.
    ///   - similarity: the similarity of a row to the query, larger closer (negate distances),
    ///     computed from the vectors rather than trusted from the search; ids it does not know
    ///     should give `-infinity`.
    ///   - tolerance: relative slack for float rounding when comparing with the k-th true
    ///     similarity.
    /// - Returns: hits and the number of true neighbours compared against (min(k, truth)).
    public static func hits(
        k: Int, returned: some Sequence<Int32>, truth: some Collection<Int32>,
        tolerance: Double = 1e-5, similarity: (Int32) -> Double
    ) -> (hits: Int, possible: Int) {
        let trueTop = Array(truth.prefix(k).prefix { $0 >= 0 })
        guard !trueTop.isEmpty else { return (0, 0) }
        let kth = similarity(trueTop[trueTop.count - 1])
        let threshold = kth - tolerance * max(1, abs(kth))
        let trueSet = Set(trueTop)
        var seen = Set<Int32>()
        var hits = 0
        for id in returned where seen.count < trueTop.count && seen.insert(id).inserted {
            if trueSet.contains(id) || similarity(id) >= threshold { hits += 1 }
        }
        return (hits, trueTop.count)
    }

    /// The similarity ``hits(k:returned:truth:tolerance:similarity:)`` compares, in double
    /// precision: cosine of the angle, inner product, or negated squared distance.
    public static func similarity(_ metric: Metric, _ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
        var dot = 0.0, aa = 0.0, bb = 0.0, squared = 0.0
        for (x, y) in zip(a, b) {
            let (x, y) = (Double(x), Double(y))
            dot += x * y
            aa += x * x
            bb += y * y
            squared += (x - y) * (x - y)
        }
        switch metric {
        case .innerProduct: return dot
        case .cosine: return aa == 0 || bb == 0 ? -.infinity : dot / (aa.squareRoot() * bb.squareRoot())
        case .l2: return -squared
        }
    }

    /// Mean recall@k of a run: `returned[q]` answers `queries` row q; truth rows are ids into `base`.
    public static func mean(
        k: Int, returned: [[Int32]], truth: Int32Matrix, base: FloatMatrix, queries: FloatMatrix, metric: Metric
    ) -> Double {
        var hitCount = 0, possibleCount = 0
        for (q, ids) in returned.enumerated() {
            let query = queries.row(q)
            let result = hits(k: k, returned: ids, truth: truth.row(q)) { id in
                id >= 0 && Int(id) < base.rowCount ? similarity(metric, query, base.row(Int(id))) : -.infinity
            }
            hitCount += result.hits
            possibleCount += result.possible
        }
        return possibleCount == 0 ? 1 : Double(hitCount) / Double(possibleCount)
    }
}
