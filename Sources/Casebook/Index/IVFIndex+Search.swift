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
            return FlatIndex.search(rows.flat, query, vocabulary: vocabulary, metric: metric, kernel: kernel)
        }
        let nearest = query.vector.withUnsafeBufferPointer {
            quantizer.nearestLists($0.baseAddress!, count: probeCount(query.nprobe, exact: query.exact))
        }
        return scan(rows, query: query, lists: nearest, kernel: kernel)
    }

    /// Lists a query probes.
    private func probeCount(_ nprobe: Int?, exact: Bool) -> Int {
        let nlist = quantizer?.nlist ?? 0
        return exact ? nlist : min(nlist, max(1, nprobe ?? defaultNprobe))
    }

    /// Scans `lists` of a listed tenant (nearest first), then the rest if fewer than k rows passed.
    /// Lists are referred to by number: copying a slab out of the tenant would retain each of its
    /// arrays, per list and per query.
    private func scan(_ rows: IVFTenant, query: IndexQuery, lists nearest: [Int], kernel: ScanKernel.Choice) -> IndexAnswer {
        let nlist = rows.lists.count
        var top = TopK(k: min(query.k, rows.count))
        var scanned = ScannedLists(capacity: nearest.count)
        var halves = true
        rows.lists.withUnsafeBufferPointer { lists in
            for list in nearest where lists[list].count > 0 {
                scanned.append(list, count: lists[list].count)
                halves = halves && lists[list].hasUsableHalves
            }
        }
        if halves, query.filter == SearchFilter(), kernel == .avx2, metric != .l2 {
            HalfScan.scan(rows.lists, scanned: scanned, query: query.vector, into: &top)
        } else {
            for (list, base) in zip(scanned.lists, scanned.bases) {
                scanFloat(rows.lists[list], query: query, kernel: kernel, rowBase: base, into: &top)
            }
        }
        var probedCount = nearest.count
        // Complete under filters: fewer than k found means the rest of the tenant is scanned.
        if top.count < top.k {
            var probed = [Bool](repeating: false, count: nlist)
            for list in nearest { probed[list] = true }
            for list in 0..<nlist where !probed[list] {
                probedCount += 1
                guard rows.lists[list].count > 0 else { continue }
                scanFloat(rows.lists[list], query: query, kernel: kernel, rowBase: scanned.total, into: &top)
                scanned.append(list, count: rows.lists[list].count)
            }
        }
        // Read in place: a slab passed by value is copied, a retain per array, per hit.
        let hits = rows.lists.withUnsafeBufferPointer { lists in
            top.sortedDescending().map { entry in
                let (list, row) = scanned.locate(Int(entry.row))
                return IndexHit(id: lists[list].ids[row], key: lists[list].keys[row], score: metric.reportedScore(entry.similarity))
            }
        }
        return IndexAnswer(hits: hits, exact: probedCount == nlist, probed: probedCount)
    }

    private func scanFloat(_ slab: TenantSlab, query: IndexQuery, kernel: ScanKernel.Choice, rowBase: Int, into top: inout TopK) {
        let filter = RowFilter(query.filter, vocabulary: vocabulary, slab: slab)
        SlabScan.scan(slab, query: query.vector, metric: metric, filter: filter, kernel: kernel, rowBase: rowBase, into: &top)
    }

    /// Many queries: the centroid scores of blocks of queries by one matrix product each, then
    /// each query's lists scanned as a single query's are; queries spread over the batch threads.
    func search(batch: IndexBatchQuery) -> [IndexAnswer] {
        let m = batch.vectors.count / dimension
        guard m > 0 else { return [] }
        let kernel: ScanKernel.Choice = ScanKernel.hasAVX2 ? .avx2 : .portable
        let answers = WorkerSlots(count: m, initial: IndexAnswer(hits: [], exact: true))
        let workers = min(m, WorkerThreads.count)
        let listed = tenantRows[batch.tenant].flatMap { $0.isListed ? $0 : nil }
        let probe = probeCount(batch.nprobe, exact: batch.exact)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            // Contiguous chunks, so each block of queries is one slice of the matrix.
            let lower = worker * m / workers, upper = (worker + 1) * m / workers
            var start = lower
            while start < upper {
                let count = min(IVFIndex.queryBlock, upper - start)
                if let rows = listed, let quantizer {
                    let scores = UnsafeMutablePointer<Float>.allocate(capacity: count * quantizer.nlist)
                    defer { scores.deallocate() }
                    batch.vectors.withUnsafeBufferPointer {
                        quantizer.similarities(batch: $0.baseAddress! + start * dimension, count: count, into: scores)
                    }
                    for i in 0..<count {
                        let q = start + i
                        let query = IndexQuery(
                            tenant: batch.tenant, vector: Array(batch.vectors[(q * dimension)..<((q + 1) * dimension)]),
                            k: batch.k, filter: batch.filter)
                        let lists = quantizer.nearestLists(scores: scores + i * quantizer.nlist, count: probe)
                        answers.store(q, scan(rows, query: query, lists: lists, kernel: kernel))
                    }
                } else {
                    for q in start..<(start + count) {
                        let vector = Array(batch.vectors[(q * dimension)..<((q + 1) * dimension)])
                        answers.store(q, search(IndexQuery(
                            tenant: batch.tenant, vector: vector, k: batch.k, filter: batch.filter, nprobe: batch.nprobe,
                            exact: batch.exact), kernel: kernel))
                    }
                }
                start += count
            }
        }
        return answers.values
    }

    /// Queries whose centroid scores are computed by one matrix product.
    static let queryBlock = 64
}

/// The lists a query scanned, in order, and where each one's rows start in the numbering the
/// heap saw (list i's rows are numbered from bases[i]).
struct ScannedLists {
    private(set) var lists: [Int] = []
    private(set) var bases: [Int] = []
    private(set) var total = 0

    init(capacity: Int) {
        lists.reserveCapacity(capacity)
        bases.reserveCapacity(capacity)
    }

    mutating func append(_ list: Int, count: Int) {
        lists.append(list)
        bases.append(total)
        total += count
    }

    /// The list holding heap row `row`, and the row's number within it.
    func locate(_ row: Int) -> (list: Int, row: Int) {
        // The last list whose base is at or below the row.
        var low = 0
        var high = bases.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if bases[middle] <= row { low = middle } else { high = middle - 1 }
        }
        return (lists[low], row - bases[low])
    }
}
