/// Single-query exact search: one pass over the tenant's slab, a threshold check per row before
/// the heap.
extension FlatIndex {
    /// Rows per AVX2 kernel call.
    static let scanBlock = 256

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

    /// Converts heap rows to hits, best first.
    func hits(_ top: TopK, slab: TenantSlab) -> [IndexHit] {
        top.sortedDescending().map { entry in
            IndexHit(
                id: slab.ids[Int(entry.row)], key: slab.keys[Int(entry.row)],
                score: metric.reportedScore(entry.similarity))
        }
    }
}
