/// Single-query exact search: one pass over the tenant's slab in blocks small enough for the
/// block's similarities to stay in L1, then a threshold check per row before the heap.
extension FlatIndex {
    /// Rows per kernel call: 256 similarities are 1 KiB of scratch.
    static let scanBlock = 256

    func search(_ query: IndexQuery) -> IndexAnswer {
        guard let slab = slabs[query.tenant], query.k > 0 else { return IndexAnswer(hits: [], exact: true) }
        let filter = RowFilter(query.filter, vocabulary: vocabulary, slab: slab)
        if filter.matchesNothing { return IndexAnswer(hits: [], exact: true) }
        var top = TopK(k: min(query.k, slab.count))
        var scratch = [Float](repeating: 0, count: FlatIndex.scanBlock)
        let d = dimension
        let isL2 = metric == .l2
        slab.vectors.withUnsafeBufferPointer { rows in
            query.vector.withUnsafeBufferPointer { q in
                scratch.withUnsafeMutableBufferPointer { out in
                    var start = 0
                    while start < slab.count {
                        let n = min(FlatIndex.scanBlock, slab.count - start)
                        let block = rows.baseAddress! + start * d
                        if isL2 {
                            ScanKernel.negativeSquaredL2(
                                query: q.baseAddress!, rows: block, count: n, dimension: d,
                                into: out.baseAddress!)
                        } else {
                            ScanKernel.dot(
                                query: q.baseAddress!, rows: block, count: n, dimension: d,
                                into: out.baseAddress!)
                        }
                        for i in 0..<n {
                            let similarity = out[i]
                            if similarity > top.threshold, filter.passes(start + i, in: slab) {
                                top.push(similarity, row: Int32(start + i))
                            }
                        }
                        start += n
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
