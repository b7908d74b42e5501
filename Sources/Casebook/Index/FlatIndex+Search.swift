/// Single-query exact search: one pass over the tenant's slab, a threshold check per row before
/// the heap.
extension FlatIndex {
    func search(_ query: IndexQuery) -> IndexAnswer {
        guard let slab = slabs[query.tenant], query.k > 0 else { return IndexAnswer(hits: [], exact: true) }
        let filter = RowFilter(query.filter, vocabulary: vocabulary, slab: slab)
        if filter.matchesNothing { return IndexAnswer(hits: [], exact: true) }
        var top = TopK(k: min(query.k, slab.count))
        let d = dimension
        let isL2 = metric == .l2
        // Score and select in one pass: each row's similarity is compared with the current k-th
        // best while it is still in a register (a separate score buffer cost measurably more).
        slab.vectors.withUnsafeBufferPointer { rows in
            query.vector.withUnsafeBufferPointer { q in
                guard let base = rows.baseAddress, let queryBase = q.baseAddress else { return }
                var threshold = top.threshold
                for row in 0..<slab.count {
                    let vector = base + row * d
                    let similarity = isL2
                        ? -ScanKernel.squaredL2(vector, queryBase, dimension: d)
                        : ScanKernel.dot(vector, queryBase, dimension: d)
                    if similarity > threshold, filter.passes(row, in: slab) {
                        top.push(similarity, row: Int32(row))
                        threshold = top.threshold
                    }
                }
            }
        }
        return IndexAnswer(hits: hits(top, slab: slab), exact: true)
    }

    /// Converts heap rows to hits, best first.
    func hits(_ top: TopK, slab: TenantSlab) -> [IndexHit] {
        top.sortedDescending().map { entry in
            IndexHit(
                id: slab.ids[Int(entry.row)], key: slab.keys[Int(entry.row)],
                score: metric.reportedScore(entry.similarity))
        }
    }
}
