/// Single-query exact search: one pass over the tenant's slab (`SlabScan`), a threshold check per
/// row before the heap; a selective filter is applied first instead.
extension FlatIndex {
    func search(_ query: IndexQuery) throws(CasebookError) -> IndexAnswer {
        try search(query, kernel: ScanKernel.hasAVX2 ? .avx2 : .portable)
    }

    /// The same search with a chosen kernel (tests run both on machines that have AVX2; a slab
    /// kept only as codes is always scanned from them).
    func search(_ query: IndexQuery, kernel: ScanKernel.Choice) throws(CasebookError) -> IndexAnswer {
        guard let slab = slabs[query.tenant] else { return IndexAnswer(hits: [], exact: true) }
        guard !slab.keepsFloats else {
            return Self.search(slab, query, vocabulary: vocabulary, metric: metric, kernel: kernel)
        }
        let filter = RowFilter(query.filter, vocabulary: vocabulary, slab: slab)
        guard slab.count > 0, query.k > 0, !filter.matchesNothing else { return IndexAnswer(hits: [], exact: true) }
        var top = TopK(k: min(query.k, slab.count))
        let outcome = try CodedScan.scan(slab, query: query.vector, filter: filter, reader: storedRows, into: &top)
        return IndexAnswer(hits: Self.hits(top, slab: slab, metric: metric), exact: outcome == .exact)
    }

    /// One tenant's slab that keeps its float32 rows, searched exhaustively: the flat index's
    /// search, and IVF's for a tenant kept in one slab (below `flatThreshold`, or before training).
    static func search(
        _ slab: TenantSlab, _ query: IndexQuery, vocabulary: AttributeVocabulary, metric: Metric,
        kernel: ScanKernel.Choice
    ) -> IndexAnswer {
        guard slab.count > 0, query.k > 0 else { return IndexAnswer(hits: [], exact: true) }
        let filter = RowFilter(query.filter, vocabulary: vocabulary, slab: slab)
        var top = TopK(k: min(query.k, slab.count))
        if CodedScan.applies(to: slab, metric: metric, kernel: kernel), !filter.matchesNothing {
            // A selective filter scores its few rows in float32; any other is checked per row.
            if !filter.isTrivial, let rows = SlabScan.passingRows(filter, slab: slab) {
                SlabScan.scan(slab, rows: rows, query: query.vector, metric: metric, kernel: kernel, rowBase: 0, into: &top)
                return IndexAnswer(hits: hits(top, slab: slab, metric: metric), exact: true)
            }
            // Only a query too large for codes is declined; with its rows kept, nothing is read back.
            if (try? CodedScan.scan(slab, query: query.vector, filter: filter, reader: nil, into: &top)) == .exact {
                return IndexAnswer(hits: hits(top, slab: slab, metric: metric), exact: true)
            }
        }
        SlabScan.scan(slab, query: query.vector, metric: metric, filter: filter, kernel: kernel, rowBase: 0, into: &top)
        return IndexAnswer(hits: hits(top, slab: slab, metric: metric), exact: true)
    }

    /// Converts heap rows to hits, best first.
    static func hits(_ top: TopK, slab: TenantSlab, metric: Metric) -> [IndexHit] {
        top.sortedDescending().map { entry in
            IndexHit(
                id: slab.ids[Int(entry.row)], key: slab.keys[Int(entry.row)],
                score: metric.reportedScore(entry.similarity))
        }
    }
}
