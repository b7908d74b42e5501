import Foundation

/// IVF search: pick the nprobe nearest centroids, scan the tenant's lists of them into one top k; when
/// those lists hold fewer than k rows passing the filter, scan the rest of the tenant's lists too,
/// so a selective filter gets the exact filtered answer rather than a short or approximate one
/// (the slab scan applies a selective filter before scoring, which keeps that cheap). The answer
/// says whether it is exact (every list scanned) and how many lists were probed.
extension IVFIndex {
    func search(_ query: IndexQuery) -> IndexAnswer {
        search(query, kernel: ScanKernel.hasAVX2 ? .avx2 : .portable)
    }

    func search(_ query: IndexQuery, kernel: ScanKernel.Choice) -> IndexAnswer {
        guard let rows = tenantRows[query.tenant], rows.count > 0, query.k > 0 else {
            return IndexAnswer(hits: [], exact: true)
        }
        guard rows.isListed, let quantizer else {
            let filter = RowFilter(query.filter, vocabulary: vocabulary, slab: rows.flat)
            var top = TopK(k: min(query.k, rows.flat.count))
            SlabScan.scan(rows.flat, query: query.vector, metric: metric, filter: filter, kernel: kernel, rowBase: 0, into: &top)
            return IndexAnswer(hits: hits(top, bases: [0], slabs: [rows.flat]), exact: true)
        }
        let nlist = quantizer.nlist
        let probe = query.exact ? nlist : min(nlist, max(1, query.nprobe ?? defaultNprobe))
        var top = TopK(k: min(query.k, rows.count))
        var bases: [Int] = []
        var slabs: [TenantSlab] = []
        var probed = [Bool](repeating: false, count: nlist)
        var probedCount = 0
        var base = 0
        func scan(_ list: Int) {
            probed[list] = true
            probedCount += 1
            let slab = rows.lists[list]
            guard slab.count > 0 else { return }
            let filter = RowFilter(query.filter, vocabulary: vocabulary, slab: slab)
            SlabScan.scan(slab, query: query.vector, metric: metric, filter: filter, kernel: kernel, rowBase: base, into: &top)
            bases.append(base)
            slabs.append(slab)
            base += slab.count
        }
        let nearest = query.vector.withUnsafeBufferPointer { quantizer.nearestLists($0.baseAddress!, count: probe) }
        for list in nearest { scan(list) }
        // Complete under filters: fewer than k found means the rest of the tenant is scanned.
        if top.count < top.k {
            for list in 0..<nlist where !probed[list] { scan(list) }
        }
        return IndexAnswer(hits: hits(top, bases: bases, slabs: slabs), exact: probedCount == nlist, probed: probedCount)
    }

    /// Heap rows back to hits: slab i numbered its rows from bases[i].
    private func hits(_ top: TopK, bases: [Int], slabs: [TenantSlab]) -> [IndexHit] {
        top.sortedDescending().map { entry in
            let row = Int(entry.row)
            // The last slab whose base is at or below the row.
            var low = 0
            var high = bases.count - 1
            while low < high {
                let middle = (low + high + 1) / 2
                if bases[middle] <= row { low = middle } else { high = middle - 1 }
            }
            let slab = slabs[low]
            return IndexHit(id: slab.ids[row - bases[low]], key: slab.keys[row - bases[low]], score: metric.reportedScore(entry.similarity))
        }
    }

    /// Many queries: each answered as a single query, spread over the batch threads.
    func search(batch: IndexBatchQuery) -> [IndexAnswer] {
        let m = batch.vectors.count / dimension
        guard m > 0 else { return [] }
        let answers = IVFAnswers(count: m)
        let workers = min(m, Casebook.effectiveBatchThreads)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for i in stride(from: worker, to: m, by: workers) {
                let vector = Array(batch.vectors[(i * dimension)..<((i + 1) * dimension)])
                answers.store(i, search(IndexQuery(tenant: batch.tenant, vector: vector, k: batch.k, filter: batch.filter)))
            }
        }
        return answers.all()
    }
}

/// One slot per query, each written by one worker, read after all have returned.
private final class IVFAnswers: @unchecked Sendable {
    private var slots: [IndexAnswer]
    init(count: Int) { slots = Array(repeating: IndexAnswer(hits: [], exact: true), count: count) }
    func store(_ i: Int, _ answer: IndexAnswer) { slots.withUnsafeMutableBufferPointer { $0[i] = answer } }
    func all() -> [IndexAnswer] { slots }
}
