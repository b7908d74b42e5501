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
///
/// A slab without float32 rows (``TenantSlab/dropFloats()``) reads its re-scored rows back from the
/// store. A row whose stored vector no longer codes to its codes was rewritten since this index saw
/// it; the vector its codes stand for is gone, so it keeps its code score and the answer says it is
/// not exact. A query too large for codes, or a slab holding a row too large for its codes, reads
/// every passing row back instead.
enum CodedScan {
    /// Whether flat slabs keep codes and scan them: a CPU with AVX2, unless `CASEBOOK_CODED_SCAN=0`
    /// (benchmarks compare the float32 path in the same build).
    static let hasKernel = cb_i8_avx2_available() && ScanKernel.hasAVX2
        && ProcessInfo.processInfo.environment["CASEBOOK_CODED_SCAN"] != "0"

    /// Below this many rows the float32 scan reads little enough that two passes do not pay.
    static let minimumRows = 4_096

    /// Bytes of float32 rows a flat index's slabs under ``minimumRows`` may keep in all before
    /// every slab keeps codes only (65,536 rows at 1,024 dimensions): past it, memory, not the
    /// second pass, is what many small tenants cost.
    static let floatBudget = 256 << 20

    /// Whether a flat index given a ``StoredVectorReader`` lets its large slabs' float32 rows go,
    /// unless `CASEBOOK_FLOAT_ROWS=memory` (benchmarks compare keeping them in the same build).
    static let dropsFloats = ProcessInfo.processInfo.environment["CASEBOOK_FLOAT_ROWS"] != "memory"

    /// Whether ``scan(_:query:filter:reader:into:)`` may serve a search of a slab keeping float32
    /// rows (one without them is always scanned from its codes).
    static func applies(to slab: TenantSlab, metric: Metric, kernel: ScanKernel.Choice) -> Bool {
        hasKernel && kernel == .avx2 && metric != .l2 && slab.hasUsableCodes && slab.count >= minimumRows
    }

    enum Outcome {
        /// Nothing done: the query is too large for codes and the slab has its float32 rows.
        case declined
        /// The float32 answer.
        case exact
        /// Some row was rewritten in the store since the index saw it (see the type's notes).
        case inexact
    }

    /// Offers the slab's rows passing `filter` to `top` (empty on entry). The filter is checked only
    /// for rows whose bounds reach the heap, as the float32 scan does. `reader` is needed for a slab
    /// without float32 rows.
    static func scan(
        _ slab: TenantSlab, query: [Float], filter: RowFilter, reader: (any StoredVectorReader)?, into top: inout TopK
    ) throws(CasebookError) -> Outcome {
        let d = slab.dimension, n = slab.count
        guard slab.keepsFloats || slab.hasUsableCodes else {
            return try rescoreEveryRow(slab, query: query, filter: filter, reader: reader, into: &top)
        }
        return try withUnsafeTemporaryAllocation(of: Int8.self, capacity: d) { queryCodes throws(CasebookError) in
            try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: d) { magnitudes throws(CasebookError) in
                var norm = 0.0, error = 0.0
                let scale = query.withUnsafeBufferPointer {
                    cb_quantize_i8($0.baseAddress!, d, queryCodes.baseAddress!, &norm, &error)
                }
                guard norm <= CodedCentroids.largestNorm else {
                    if slab.keepsFloats { return .declined }
                    return try rescoreEveryRow(slab, query: query, filter: filter, reader: reader, into: &top)
                }
                for j in 0..<d { magnitudes[j] = queryCodes[j].magnitude }
                let bound = CodeErrorBound(queryNorm: norm, queryError: error, dimension: d)
                return try withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * n) { scratch throws(CasebookError) in
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
                    return try withUnsafeTemporaryAllocation(of: Int32.self, capacity: n) { candidates throws(CasebookError) in
                        var found = 0
                        for r in 0..<n where upper[r] >= cutoff && filter.passes(r, in: slab) {
                            candidates[found] = Int32(r)
                            found += 1
                        }
                        let rows = UnsafeBufferPointer(rebasing: candidates[0..<found])
                        guard slab.keepsFloats else {
                            return try rescoreStored(
                                slab, rows: rows, query: query, approximate: approximate, reader: reader, into: &top)
                        }
                        rescore(slab, rows: rows, query: query, into: &top)
                        return .exact
                    }
                }
            }
        }
    }

    /// Pass 2: the float32 scores of the candidate rows, prefetched first (they are scattered;
    /// scored one by one each would wait on memory alone).
    private static func rescore(_ slab: TenantSlab, rows candidates: UnsafeBufferPointer<Int32>, query: [Float], into top: inout TopK) {
        let d = slab.dimension
        slab.vectors.withUnsafeBufferPointer { rows in
            query.withUnsafeBufferPointer { q in
                for row in candidates { cb_prefetch(rows.baseAddress! + Int(row) * d, d * MemoryLayout<Float>.size) }
                var exact: Float = 0
                for row in candidates {
                    ScanKernel.scanAVX2(
                        query: q.baseAddress!, rows: rows.baseAddress! + Int(row) * d, count: 1, dimension: d,
                        negativeL2: false, into: &exact)
                    if exact > top.threshold { top.push(exact, row: row) }
                }
            }
        }
    }

    /// Pass 2 for a slab without float32 rows: the candidates read back from the store. A row
    /// rewritten since keeps its code score (and the answer is not exact); a deleted one is left out.
    private static func rescoreStored(
        _ slab: TenantSlab, rows: UnsafeBufferPointer<Int32>, query: [Float], approximate: UnsafePointer<Float>,
        reader: (any StoredVectorReader)?, into top: inout TopK
    ) throws(CasebookError) -> Outcome {
        guard let reader else { preconditionFailure("a slab without float32 rows scanned without a reader") }
        var outcome = Outcome.exact
        try query.withUnsafeBufferPointer { q throws(CasebookError) in
            try StoredRows.read(rows, of: slab, reader: reader) { row, vector, current in
                var score = approximate[Int(row)]
                if current {
                    ScanKernel.scanAVX2(query: q.baseAddress!, rows: vector, count: 1, dimension: slab.dimension, negativeL2: false, into: &score)
                } else {
                    outcome = .inexact
                }
                if score > top.threshold { top.push(score, row: row) }
            }
        }
        return outcome
    }

    /// Every passing row read back from the store and scored in float32: for a query or a row too
    /// large for codes, in a slab without float32 rows. A rewritten row has no score to give and is
    /// left out (the answer is then not exact).
    private static func rescoreEveryRow(
        _ slab: TenantSlab, query: [Float], filter: RowFilter, reader: (any StoredVectorReader)?, into top: inout TopK
    ) throws(CasebookError) -> Outcome {
        guard let reader else { preconditionFailure("a slab without float32 rows scanned without a reader") }
        let passing = (0..<slab.count).lazy.filter { filter.passes($0, in: slab) }.map { Int32($0) }
        let rows = Array(passing)
        var outcome = Outcome.exact
        try query.withUnsafeBufferPointer { q throws(CasebookError) in
            try rows.withUnsafeBufferPointer { rows throws(CasebookError) in
                try StoredRows.read(rows, of: slab, reader: reader) { row, vector, current in
                    guard current else {
                        outcome = .inexact
                        return
                    }
                    var score: Float = 0
                    ScanKernel.scanAVX2(query: q.baseAddress!, rows: vector, count: 1, dimension: slab.dimension, negativeL2: false, into: &score)
                    if score > top.threshold { top.push(score, row: row) }
                }
            }
        }
        return outcome
    }
}
