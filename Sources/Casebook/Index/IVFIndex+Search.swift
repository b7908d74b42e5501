import Foundation

/// IVF search: rank the centroids, scan the tenant's nprobe nearest lists into one top k; when
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
        guard rows.isListed else {
            let filter = RowFilter(query.filter, vocabulary: vocabulary, slab: rows.flat)
            var top = TopK(k: min(query.k, rows.flat.count))
            SlabScan.scan(rows.flat, query: query.vector, metric: metric, filter: filter, kernel: kernel, rowBase: 0, into: &top)
            return IndexAnswer(hits: hits(top, slabs: [(0, rows.flat)]), exact: true)
        }
        let order = listsByDistance(query.vector)
        let probe = query.exact ? nlist : min(nlist, max(1, query.nprobe ?? defaultNprobe))
        var top = TopK(k: min(query.k, rows.count))
        var scanned: [(base: Int, slab: TenantSlab)] = []
        var base = 0
        var next = 0
        func scan(upTo end: Int) {
            while next < end {
                let slab = rows.lists[order[next]]
                next += 1
                guard slab.count > 0 else { continue }
                let filter = RowFilter(query.filter, vocabulary: vocabulary, slab: slab)
                SlabScan.scan(slab, query: query.vector, metric: metric, filter: filter, kernel: kernel, rowBase: base, into: &top)
                scanned.append((base, slab))
                base += slab.count
            }
        }
        scan(upTo: probe)
        // Complete under filters: fewer than k found means the rest of the tenant is scanned.
        if top.count < top.k { scan(upTo: nlist) }
        return IndexAnswer(hits: hits(top, slabs: scanned), exact: next == nlist, probed: next)
    }

    /// Lists in order of their centroid's similarity to the query, nearest first (ties by list).
    func listsByDistance(_ vector: [Float]) -> [Int] {
        var scores = [Float](repeating: 0, count: nlist)
        vector.withUnsafeBufferPointer { v in
            scores.withUnsafeMutableBufferPointer { centroidSimilarities(v.baseAddress!, into: $0.baseAddress!) }
        }
        return (0..<nlist).sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
    }

    /// Heap rows back to hits: each scanned slab numbered its rows from its base.
    private func hits(_ top: TopK, slabs: [(base: Int, slab: TenantSlab)]) -> [IndexHit] {
        top.sortedDescending().map { entry in
            let row = Int(entry.row)
            // The last slab whose base is at or below the row.
            var low = 0
            var high = slabs.count - 1
            while low < high {
                let middle = (low + high + 1) / 2
                if slabs[middle].base <= row { low = middle } else { high = middle - 1 }
            }
            let (base, slab) = slabs[low]
            return IndexHit(id: slab.ids[row - base], key: slab.keys[row - base], score: metric.reportedScore(entry.similarity))
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
