import CasebookKernels
import Foundation

/// A flat slab scanned from its int8 codes, with answers equal to the float32 scan: a flat scan
/// is bound by reading the rows from memory, and the codes are a quarter of the bytes.
///
/// Pass 1 gives every row its code score a_r (`cb_scan_dot_i8`) and a bound B_r on its distance
/// from the float32 score f_r — the bound of ``CodedCentroids`` (coding errors of query and row by
/// Cauchy–Schwarz, the code score's roundings, the float32 evaluation's error), per row from its
/// stored norm and coding error. The k-th largest lower bound a_r − B_r is a floor L under the
/// float32 k-th best score, so every row of the float32 top k has a_r + B_r ≥ L. Pass 2 re-scores
/// exactly those rows in float32 with the float32 scan's own kernel: the heap ends with the same
/// rows and the same scores.
///
/// A filter counts only passing rows toward the floor and the re-scoring. Used for cosine and inner
/// product, on CPUs where the float32 scan runs its AVX2 kernel (so the re-scored values are bit
/// for bit the float32 scan's); a selective filter's few rows are scored in float32 instead.
enum CodedScan {
    /// Whether flat slabs keep codes and scan them: a CPU with AVX2, unless `CASEBOOK_CODED_SCAN=0`
    /// (benchmarks compare the float32 path in the same build).
    static let hasKernel = cb_i8_avx2_available() && ScanKernel.hasAVX2
        && ProcessInfo.processInfo.environment["CASEBOOK_CODED_SCAN"] != "0"

    /// Below this many rows the float32 scan reads little enough that two passes do not pay.
    static let minimumRows = 4_096

    /// Whether ``scan(_:query:filter:into:)`` may serve a search of this slab.
    static func applies(to slab: TenantSlab, metric: Metric, kernel: ScanKernel.Choice) -> Bool {
        hasKernel && kernel == .avx2 && metric != .l2 && slab.hasUsableCodes && slab.count >= minimumRows
    }

    /// Offers the slab's rows passing `filter` to `top` (empty on entry); false, having done
    /// nothing, when the query is too large for its codes (the caller scans in float32). The
    /// filter is checked only for rows whose bounds reach the heap, as the float32 scan does.
    static func scan(_ slab: TenantSlab, query: [Float], filter: RowFilter, into top: inout TopK) -> Bool {
        let d = slab.dimension, n = slab.count
        return withUnsafeTemporaryAllocation(of: Int8.self, capacity: d) { queryCodes in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: d) { magnitudes in
                var norm = 0.0, error = 0.0
                let scale = query.withUnsafeBufferPointer {
                    cb_quantize_i8($0.baseAddress!, d, queryCodes.baseAddress!, &norm, &error)
                }
                guard norm <= CodedCentroids.largestNorm else { return false }
                for j in 0..<d { magnitudes[j] = queryCodes[j].magnitude }
                let bound = CodeErrorBound(queryNorm: norm, queryError: error, dimension: d)
                withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * n) { scratch in
                    let approximate = scratch.baseAddress!, upper = scratch.baseAddress! + n
                    // Pass 1: code scores, bounds, and the k-th largest lower bound.
                    var floor = TopK(k: top.k)
                    slab.codes.withUnsafeBufferPointer { codes in
                        slab.codeScales.withUnsafeBufferPointer { scales in
                            cb_scan_dot_i8(
                                queryCodes.baseAddress!, magnitudes.baseAddress!, scale, codes.baseAddress!,
                                scales.baseAddress!, n, d, approximate)
                        }
                    }
                    slab.codeNorms.withUnsafeBufferPointer { norms in
                        slab.codeErrors.withUnsafeBufferPointer { errors in
                            var start = 0
                            while start < n {
                                let count = min(SlabScan.block, n - start)
                                // `upper` holds the block's lower bounds first, then its upper bounds.
                                func margin(_ r: Int) -> Float { bound(score: approximate[r], norm: norms[r], error: errors[r]) }
                                for r in start..<(start + count) { upper[r] = approximate[r] - margin(r) }
                                SelectionKernel.offer(upper + start, count: count, firstRow: start, into: &floor) {
                                    filter.passes($0, in: slab)
                                }
                                for r in start..<(start + count) { upper[r] = approximate[r] + margin(r) }
                                start += count
                            }
                        }
                    }
                    let cutoff = floor.count < floor.k ? -Float.infinity : floor.threshold
                    rescore(slab, query: query, filter: filter, upper: upper, cutoff: cutoff, into: &top)
                }
                return true
            }
        }
    }

    /// Pass 2: the float32 scores of the rows whose upper bound reaches the floor, prefetched first
    /// (they are scattered; scored one by one each would wait on memory alone).
    private static func rescore(
        _ slab: TenantSlab, query: [Float], filter: RowFilter, upper: UnsafeMutablePointer<Float>, cutoff: Float,
        into top: inout TopK
    ) {
        let d = slab.dimension, n = slab.count
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: n) { candidates in
            slab.vectors.withUnsafeBufferPointer { rows in
                query.withUnsafeBufferPointer { q in
                    var found = 0
                    for r in 0..<n where upper[r] >= cutoff && filter.passes(r, in: slab) {
                        cb_prefetch(rows.baseAddress! + r * d, d * MemoryLayout<Float>.size)
                        candidates[found] = Int32(r)
                        found += 1
                    }
                    var exact: Float = 0
                    for row in candidates[0..<found] {
                        ScanKernel.scanAVX2(
                            query: q.baseAddress!, rows: rows.baseAddress! + Int(row) * d, count: 1, dimension: d,
                            negativeL2: false, into: &exact)
                        if exact > top.threshold { top.push(exact, row: row) }
                    }
                }
            }
        }
    }
}
