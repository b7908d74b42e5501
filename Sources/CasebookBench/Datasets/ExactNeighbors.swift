import Casebook
/// Exact k nearest neighbours of every query by a blocked matrix product over the whole base:
/// the ground truth for benchmark files. Deliberately separate from ``FlatIndex`` (no tenants,
/// no filters, its own loop) so that benchmarks do not grade the index against itself; FAISS's
/// flat index, run on the same files, reaches recall 1.0 against it.
public enum ExactNeighbors {
    /// The ids of the `k` rows of `base` most similar to each query, best first (−1 pads when
    /// the base has fewer than k rows). Cosine compares normalised copies; L2 ranks by squared
    /// distance.
    public static func compute(base: FloatMatrix, queries: FloatMatrix, k: Int, metric: Metric) -> Int32Matrix {
        precondition(base.dimension == queries.dimension, "base and queries differ in dimension")
        let d = base.dimension
        let baseRows = metric == .cosine ? normalized(base) : base
        let queryRows = metric == .cosine ? normalized(queries) : queries
        let baseNorms = (0..<base.rowCount).map { row in baseRows.row(row).reduce(0) { $0 + $1 * $1 } }
        let kept = min(k, base.rowCount)
        var out = [Int32](repeating: -1, count: queries.rowCount * k)
        let queryBlock = 256, rowBlock = 4096
        var products = [Float](repeating: 0, count: queryBlock * rowBlock)
        for q0 in stride(from: 0, to: queries.rowCount, by: queryBlock) {
            let m = min(queryBlock, queries.rowCount - q0)
            var tops = (0..<m).map { _ in TopK(k: kept) }
            for r0 in stride(from: 0, to: base.rowCount, by: rowBlock) {
                let n = min(rowBlock, base.rowCount - r0)
                queryRows.values.withUnsafeBufferPointer { qs in
                    baseRows.values.withUnsafeBufferPointer { rows in
                        products.withUnsafeMutableBufferPointer { out in
                            GemmKernel.similarities(
                                queries: qs.baseAddress! + q0 * d, queryCount: m,
                                rows: rows.baseAddress! + r0 * d, rowCount: n, dimension: d,
                                alpha: metric == .l2 ? 2 : 1, into: out.baseAddress!)
                        }
                    }
                }
                for i in 0..<m {
                    for j in 0..<n {
                        // For L2, 2q·x − ‖x‖² ranks rows like −‖q − x‖² (‖q‖² is the same for all).
                        let similarity = metric == .l2 ? products[i * n + j] - baseNorms[r0 + j] : products[i * n + j]
                        if similarity > tops[i].threshold { tops[i].push(similarity, row: Int32(r0 + j)) }
                    }
                }
            }
            for i in 0..<m {
                for (rank, hit) in tops[i].sortedDescending().enumerated() { out[(q0 + i) * k + rank] = hit.row }
            }
        }
        return Int32Matrix(rowCount: queries.rowCount, dimension: k, values: out)
    }

    static func normalized(_ matrix: FloatMatrix) -> FloatMatrix {
        var values = matrix.values
        let d = matrix.dimension
        for row in 0..<matrix.rowCount {
            var sum: Float = 0
            for j in 0..<d { sum += values[row * d + j] * values[row * d + j] }
            let scale = sum > 0 ? 1 / sum.squareRoot() : 0
            for j in 0..<d { values[row * d + j] *= scale }
        }
        return FloatMatrix(rowCount: matrix.rowCount, dimension: d, values: values)
    }
}
