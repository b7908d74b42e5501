import CasebookKernels

/// A batch of queries against a slab kept as codes only, exact as each query's own search: the
/// float32 batch multiplies the rows by every query with sgemm, and here the rows are the codes
/// dequantized a block at a time (ĉ = scale·code, in float32) instead.
///
/// Each product a is within a bound B of the row's float32 score (``CodeErrorBound``'s
/// dequantized form: the coding error, the rounding of ĉ, both float32 evaluations). Per query
/// the k-th largest a − B among passing rows is a floor under the float32 k-th best, and every
/// row whose a + B reaches it is read back from the store once for all the queries that want it
/// and re-scored in float32 with the single-query scan's kernel, so each answer is that query's
/// own search, scores bit for bit. A row rewritten in the store since the index saw it keeps its
/// product and makes that query's answer inexact, as in ``CodedScan``.
enum CodedBatchScan {
    /// Rows dequantized per sgemm call (as ``FlatIndex/gemmBlock``).
    static let block = 512

    /// The answers' heaps (k = `k`) and whether each is exact, for queries `range` of `queries` (m·d).
    static func search(
        _ slab: TenantSlab, queries: UnsafePointer<Float>, range: Range<Int>, k: Int, filter: RowFilter,
        reader: any StoredVectorReader
    ) throws(CasebookError) -> [(top: TopK, exact: Bool)] {
        let d = slab.dimension, n = slab.count, m = range.count
        let first = queries + range.lowerBound * d
        let bounds = (0..<m).map { q in
            var squared = 0.0
            for j in 0..<d { squared += Double(first[q * d + j]) * Double(first[q * d + j]) }
            return CodeErrorBound(dequantizedFor: squared.squareRoot() * (1 + 0x1p-20), dimension: d)
        }
        var floors = (0..<m).map { _ in TopK(k: k) }
        // (row, product) pairs per query whose upper bound reached the query's floor as it was then.
        var wanted = [[(row: Int32, product: Float)]](repeating: [], count: m)
        let blockRows = min(block, n)
        slab.codeNorms.withUnsafeBufferPointer { norms in
            slab.codeErrors.withUnsafeBufferPointer { errors in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: blockRows * d) { rows in
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: m * blockRows) { products in
                        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * blockRows) { scratch in
                            withUnsafeTemporaryAllocation(of: Bool.self, capacity: blockRows) { passes in
                                let lower = scratch.baseAddress!, upper = scratch.baseAddress! + blockRows
                                var start = 0
                                while start < n {
                                    let count = min(blockRows, n - start)
                                    for i in 0..<count { passes[i] = filter.passes(start + i, in: slab) }
                                    slab.codes.withUnsafeBufferPointer { codes in
                                        for i in 0..<count {
                                            let scale = slab.codeScales[start + i]
                                            let code = codes.baseAddress! + (start + i) * d
                                            for j in 0..<d { rows[i * d + j] = Float(code[j]) * scale }
                                        }
                                    }
                                    GemmKernel.similarities(
                                        queries: first, queryCount: m, rows: rows.baseAddress!, rowCount: count, dimension: d,
                                        alpha: 1, into: products.baseAddress!)
                                    let rowNorms = norms.baseAddress! + start, rowErrors = errors.baseAddress! + start
                                    for q in 0..<m {
                                        let line = products.baseAddress! + q * count
                                        let bound = bounds[q]
                                        for i in 0..<count {
                                            let margin = bound(score: line[i], norm: rowNorms[i], error: rowErrors[i])
                                            lower[i] = passes[i] ? line[i] - margin : -.infinity
                                            upper[i] = passes[i] ? line[i] + margin : -.infinity
                                        }
                                        SelectionKernel.offer(lower, count: count, firstRow: start, into: &floors[q]) { _ in true }
                                        let cutoff = floors[q].count < k ? -Float.infinity : floors[q].threshold
                                        for i in 0..<count where passes[i] && upper[i] >= cutoff { wanted[q].append((Int32(start + i), line[i])) }
                                    }
                                    start += count
                                }
                            }
                        }
                    }
                }
            }
        }
        // Keep what reaches each final floor, then read every wanted row once.
        var askers: [Int32: [(query: Int, product: Float)]] = [:]
        for q in 0..<m {
            let cutoff = floors[q].count < k ? -Float.infinity : floors[q].threshold
            let bound = bounds[q]
            for (row, product) in wanted[q]
            where product + bound(score: product, norm: slab.codeNorms[Int(row)], error: slab.codeErrors[Int(row)]) >= cutoff {
                askers[row, default: []].append((q, product))
            }
        }
        wanted = []
        var tops = (0..<m).map { _ in TopK(k: k) }
        var exact = [Bool](repeating: true, count: m)
        let rows = askers.keys.sorted()
        try rows.withUnsafeBufferPointer { rows throws(CasebookError) in
            try StoredRows.read(rows, of: slab, reader: reader) { row, vector, current in
                for (q, product) in askers[row]! {
                    var score = product
                    if current {
                        ScanKernel.scanAVX2(query: first + q * d, rows: vector, count: 1, dimension: d, negativeL2: false, into: &score)
                    } else {
                        exact[q] = false
                    }
                    if score > tops[q].threshold { tops[q].push(score, row: row) }
                }
            }
        }
        return zip(tops, exact).map { ($0, $1) }
    }
}
