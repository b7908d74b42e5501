/// Single-query exact search: one pass over the tenant's slab, a threshold check per row before
/// the heap. A selective filter is applied first instead, and only the rows passing it are
/// scored.
extension FlatIndex {
    /// Rows per AVX2 kernel call.
    static let scanBlock = 256

    /// A filter passing at most 1 row in this many is applied before scoring. Checking a row's
    /// filter fields reads a few bytes where scoring reads 4·d, so collecting the passing rows
    /// first pays for itself well before this point; above it, the scan checks the filter only
    /// for rows good enough to enter the top k.
    static let prefilterRatio = 8

    func search(_ query: IndexQuery) -> IndexAnswer {
        search(query, kernel: ScanKernel.hasAVX2 ? .avx2 : .portable)
    }

    /// The same search with a chosen kernel (tests run both on machines that have AVX2).
    func search(_ query: IndexQuery, kernel: ScanKernel.Choice) -> IndexAnswer {
        guard let slab = slabs[query.tenant], slab.count > 0, query.k > 0 else {
            return IndexAnswer(hits: [], exact: true)
        }
        let filter = RowFilter(query.filter, vocabulary: vocabulary, slab: slab)
        if filter.matchesNothing { return IndexAnswer(hits: [], exact: true) }
        if !filter.isTrivial, let rows = passingRows(filter, slab: slab) {
            return search(query, rows: rows, slab: slab, kernel: kernel)
        }
        var top = TopK(k: min(query.k, slab.count))
        let d = dimension
        let isL2 = metric == .l2
        slab.vectors.withUnsafeBufferPointer { rows in
            query.vector.withUnsafeBufferPointer { q in
                guard let base = rows.baseAddress, let queryBase = q.baseAddress else { return }
                if kernel == .avx2 {
                    // Blocks of 256 similarities (1 KiB, stays in L1) from the AVX2 kernel,
                    // then selection over the block.
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: FlatIndex.scanBlock) { scratch in
                        var start = 0
                        while start < slab.count {
                            let n = min(FlatIndex.scanBlock, slab.count - start)
                            ScanKernel.scanAVX2(
                                query: queryBase, rows: base + start * d, count: n, dimension: d,
                                negativeL2: isL2, into: scratch.baseAddress!)
                            SelectionKernel.offer(scratch.baseAddress!, count: n, firstRow: start, into: &top) {
                                filter.passes($0, in: slab)
                            }
                            start += n
                        }
                    }
                } else {
                    // Portable path: score and select in one pass, each similarity compared
                    // with the k-th best while still in a register.
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
        }
        return IndexAnswer(hits: hits(top, slab: slab), exact: true)
    }

    /// The rows passing a filter, or nil as soon as more than 1 in ``prefilterRatio`` pass.
    private func passingRows(_ filter: RowFilter, slab: TenantSlab) -> [Int32]? {
        let limit = slab.count / FlatIndex.prefilterRatio
        var rows: [Int32] = []
        for row in 0..<slab.count where filter.passes(row, in: slab) {
            if rows.count == limit { return nil }
            rows.append(Int32(row))
        }
        return rows
    }

    /// Scores only the given rows (those passing a selective filter).
    private func search(_ query: IndexQuery, rows candidates: [Int32], slab: TenantSlab, kernel: ScanKernel.Choice) -> IndexAnswer {
        var top = TopK(k: min(query.k, max(1, candidates.count)))
        guard !candidates.isEmpty else { return IndexAnswer(hits: [], exact: true) }
        let d = dimension
        let isL2 = metric == .l2
        slab.vectors.withUnsafeBufferPointer { rows in
            query.vector.withUnsafeBufferPointer { q in
                guard let base = rows.baseAddress, let queryBase = q.baseAddress else { return }
                var similarity: Float = 0
                for row in candidates {
                    let vector = base + Int(row) * d
                    if kernel == .avx2 {
                        ScanKernel.scanAVX2(query: queryBase, rows: vector, count: 1, dimension: d, negativeL2: isL2, into: &similarity)
                    } else {
                        similarity = isL2
                            ? -ScanKernel.squaredL2(vector, queryBase, dimension: d)
                            : ScanKernel.dot(vector, queryBase, dimension: d)
                    }
                    if similarity > top.threshold { top.push(similarity, row: row) }
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
