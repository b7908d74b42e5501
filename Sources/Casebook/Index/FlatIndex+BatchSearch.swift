import Dispatch
import Foundation

/// Batched exact search: the tenant's slab is multiplied against all queries with `cblas_sgemm`,
/// one block of rows at a time, so the work is compute-bound rather than a re-read of the slab
/// per query. Queries are split over the cores; OpenBLAS itself runs single-threaded (see
/// ``GemmKernel/setThreads(_:)``).
extension FlatIndex {
    /// Rows per sgemm call. Measured at 1,000 queries x 100,000 x 384 on 2 cores, as a share of a
    /// bare sgemm's GFLOP/s: 512 rows 0.90-0.97, 1,024 rows 0.88-0.94, 4,096 and 16,384 rows 0.85
    /// (a larger block of products no longer stays in cache while selection reads it back).
    static let gemmBlock = 512

    func search(batch: IndexBatchQuery) throws(CasebookError) -> [IndexAnswer] {
        let d = dimension
        let m = d == 0 ? 0 : batch.vectors.count / d
        guard m > 0 else { return [] }
        guard let slab = slabs[batch.tenant], slab.count > 0, batch.k > 0 else {
            return Array(repeating: IndexAnswer(hits: [], exact: true), count: m)
        }
        let filter = RowFilter(batch.filter, vocabulary: vocabulary, slab: slab)
        if filter.matchesNothing {
            return Array(repeating: IndexAnswer(hits: [], exact: true), count: m)
        }
        let k = min(batch.k, slab.count)
        let workers = min(m, FlatIndex.workerCount)
        let chunk = (m + workers - 1) / workers
        if !slab.keepsFloats { return try codedBatch(batch, slab: slab, filter: filter, k: k, workers: workers, chunk: chunk) }
        let results = WorkerSlots<[IndexAnswer]>(count: workers, initial: [])
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let lower = worker * chunk
            let upper = min(m, lower + chunk)
            guard lower < upper else { return }
            let tops = scanChunk(
                queries: batch.vectors, range: lower..<upper, k: k, slab: slab, filter: filter)
            let answers = tops.enumerated().map { offset, top in
                IndexAnswer(
                    hits: refinedHits(top, queries: batch.vectors, index: lower + offset, slab: slab),
                    exact: true)
            }
            results.store(worker, answers)
        }
        return results.values.flatMap { $0 }
    }

    /// A batch against a slab kept as codes only (``CodedBatchScan``), query chunks over the
    /// workers; a slab or query beyond the codes' range is answered query by query instead.
    private func codedBatch(
        _ batch: IndexBatchQuery, slab: TenantSlab, filter: RowFilter, k: Int, workers: Int, chunk: Int
    ) throws(CasebookError) -> [IndexAnswer] {
        let d = dimension, m = batch.vectors.count / d
        let inRange = slab.hasUsableCodes && (0..<m).allSatisfy { q in
            var squared = 0.0
            for j in 0..<d { squared += Double(batch.vectors[q * d + j]) * Double(batch.vectors[q * d + j]) }
            return squared.squareRoot() <= CodedCentroids.largestNorm
        }
        guard inRange, let storedRows else {
            return try (0..<m).map { q throws(CasebookError) in
                try search(IndexQuery(
                    tenant: batch.tenant, vector: Array(batch.vectors[q * d..<(q + 1) * d]), k: batch.k, filter: batch.filter))
            }
        }
        let results = WorkerSlots<Result<[IndexAnswer], CasebookError>>(count: workers, initial: .success([]))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let range = (worker * chunk)..<min(m, worker * chunk + chunk)
            guard !range.isEmpty else { return }
            results.store(worker, batch.vectors.withUnsafeBufferPointer { queries in
                Result { () throws(CasebookError) in
                    try CodedBatchScan.search(
                        slab, queries: queries.baseAddress!, range: range, k: k, filter: filter, reader: storedRows
                    ).map { IndexAnswer(hits: Self.hits($0.top, slab: slab, metric: metric), exact: $0.exact) }
                }
            })
        }
        var answers: [IndexAnswer] = []
        answers.reserveCapacity(m)
        for result in results.values { answers += try result.get() }
        return answers
    }

    /// Threads to spread a batch over (also the number of concurrent single-threaded sgemm
    /// calls): see ``WorkerThreads``.
    static var workerCount: Int { WorkerThreads.count }

    private func scanChunk(
        queries: [Float], range: Range<Int>, k: Int, slab: TenantSlab, filter: RowFilter
    ) -> [TopK] {
        let d = dimension
        let m = range.count
        let isL2 = metric == .l2
        var tops = (0..<m).map { _ in TopK(k: k) }
        let blockRows = min(FlatIndex.gemmBlock, slab.count)
        var products = [Float](repeating: 0, count: m * blockRows)
        queries.withUnsafeBufferPointer { allQueries in
            slab.vectors.withUnsafeBufferPointer { rows in
                slab.squaredNorms.withUnsafeBufferPointer { norms in
                    products.withUnsafeMutableBufferPointer { out in
                        var start = 0
                        while start < slab.count {
                            let n = min(blockRows, slab.count - start)
                            // For L2, rank by 2·q·x − ‖x‖² (‖q‖² is constant per query).
                            GemmKernel.similarities(
                                queries: allQueries.baseAddress! + range.lowerBound * d, queryCount: m,
                                rows: rows.baseAddress! + start * d, rowCount: n, dimension: d,
                                alpha: isL2 ? 2 : 1, into: out.baseAddress!)
                            for q in 0..<m {
                                let line = out.baseAddress! + q * n
                                if isL2 {
                                    // 2·q·x − ‖x‖², so selection below is the same for all metrics.
                                    let rowNorms = norms.baseAddress! + start
                                    for i in 0..<n { line[i] -= rowNorms[i] }
                                }
                                SelectionKernel.offer(line, count: n, firstRow: start, into: &tops[q]) {
                                    filter.passes($0, in: slab)
                                }
                            }
                            start += n
                        }
                    }
                }
            }
        }
        return tops
    }

    /// For L2 the expanded form loses precision to cancellation, so the k winners' distances are
    /// recomputed directly (k·d work) and re-sorted; other metrics report the product as is.
    private func refinedHits(_ top: TopK, queries: [Float], index: Int, slab: TenantSlab) -> [IndexHit] {
        guard metric == .l2 else { return Self.hits(top, slab: slab, metric: metric) }
        let d = dimension
        let exact = queries.withUnsafeBufferPointer { q in
            slab.vectors.withUnsafeBufferPointer { rows in
                top.sortedDescending().map { entry in
                    let distance = ScanKernel.squaredL2(
                        q.baseAddress! + index * d, rows.baseAddress! + Int(entry.row) * d, dimension: d)
                    return (distance: distance, row: entry.row)
                }
            }
        }
        return exact.sorted { $0.distance != $1.distance ? $0.distance < $1.distance : $0.row < $1.row }
            .map { entry in
                IndexHit(
                    id: slab.ids[Int(entry.row)], key: slab.keys[Int(entry.row)],
                    score: entry.distance)
            }
    }
}
