/// Offers one slab's rows to a top-k heap: the single-query scan shared by every index kind.
///
/// Rows enter the heap as `rowBase + row`, so several slabs can share one heap (an IVF query
/// scans several lists of a tenant into one top k). A selective filter (at most 1 row in
/// ``prefilterRatio`` passing) is applied before scoring; otherwise the filter is checked only
/// for rows good enough to enter the heap.
enum SlabScan {
    /// Rows per AVX2 kernel call: 256 similarities (1 KiB) stay in L1 for the selection.
    static let block = 256

    /// Checking a row's filter fields reads a few bytes where scoring reads 4·d, so collecting the
    /// passing rows first pays for itself well before this point.
    static let prefilterRatio = 8

    static func scan(
        _ slab: TenantSlab, query: [Float], metric: Metric, filter: RowFilter, kernel: ScanKernel.Choice,
        rowBase: Int, into top: inout TopK
    ) {
        guard slab.count > 0, !filter.matchesNothing else { return }
        if !filter.isTrivial, let rows = passingRows(filter, slab: slab) {
            scan(slab, rows: rows, query: query, metric: metric, kernel: kernel, rowBase: rowBase, into: &top)
            return
        }
        scanAll(slab, query: query, metric: metric, filter: filter, kernel: kernel, rowBase: rowBase, into: &top)
    }

    /// Every row scored, the filter checked only for rows good enough for the heap.
    private static func scanAll(
        _ slab: TenantSlab, query: [Float], metric: Metric, filter: RowFilter, kernel: ScanKernel.Choice,
        rowBase: Int, into top: inout TopK
    ) {
        let d = slab.dimension
        let isL2 = metric == .l2
        slab.vectors.withUnsafeBufferPointer { rows in
            query.withUnsafeBufferPointer { q in
                guard let base = rows.baseAddress, let queryBase = q.baseAddress else { return }
                if kernel == .avx2 {
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: block) { scratch in
                        var start = 0
                        while start < slab.count {
                            let n = min(block, slab.count - start)
                            ScanKernel.scanAVX2(
                                query: queryBase, rows: base + start * d, count: n, dimension: d,
                                negativeL2: isL2, into: scratch.baseAddress!)
                            SelectionKernel.offer(scratch.baseAddress!, count: n, firstRow: rowBase + start, into: &top) {
                                filter.passes($0 - rowBase, in: slab)
                            }
                            start += n
                        }
                    }
                } else {
                    // Portable path: score and select in one pass, each similarity compared with
                    // the k-th best while still in a register.
                    var threshold = top.threshold
                    for row in 0..<slab.count {
                        let vector = base + row * d
                        let similarity = isL2
                            ? -ScanKernel.squaredL2(vector, queryBase, dimension: d)
                            : ScanKernel.dot(vector, queryBase, dimension: d)
                        if similarity > threshold, filter.passes(row, in: slab) {
                            top.push(similarity, row: Int32(rowBase + row))
                            threshold = top.threshold
                        }
                    }
                }
            }
        }
    }

    /// The rows passing a filter, or nil as soon as more than 1 in ``prefilterRatio`` pass.
    static func passingRows(_ filter: RowFilter, slab: TenantSlab) -> [Int32]? {
        let limit = slab.count / prefilterRatio
        var rows: [Int32] = []
        for row in 0..<slab.count where filter.passes(row, in: slab) {
            if rows.count == limit { return nil }
            rows.append(Int32(row))
        }
        return rows
    }

    /// Scores only the given rows (those passing a selective filter).
    static func scan(
        _ slab: TenantSlab, rows candidates: [Int32], query: [Float], metric: Metric, kernel: ScanKernel.Choice,
        rowBase: Int, into top: inout TopK
    ) {
        let d = slab.dimension
        let isL2 = metric == .l2
        slab.vectors.withUnsafeBufferPointer { rows in
            query.withUnsafeBufferPointer { q in
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
                    if similarity > top.threshold { top.push(similarity, row: Int32(rowBase) + row) }
                }
            }
        }
    }
}
