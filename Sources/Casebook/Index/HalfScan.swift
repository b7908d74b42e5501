import CasebookKernels

/// An IVF query's probed lists scanned from their half-precision copies, with answers equal to a
/// float32 scan: pass 1 scores every row from half precision (half the bytes of the float32
/// scan, which is memory-bound) and finds the k-th best approximate score T; pass 2 re-scores in
/// float32, with the same kernel as the float32 scan, only the rows scoring at least T − 2B, where
/// B bounds |half score − float32 score| for any row. Every row of the float32 top k passes that
/// test, so the heap ends with the same rows and the same scores.
///
/// The bound, for a query q and a row x with ‖x‖ ≤ maxNorm, over d dimensions (u = 2⁻²⁴):
/// rounding x to half moves each xⱼ by at most 2⁻¹¹|xⱼ| + 2⁻²⁵ (subnormals), so the exact dot
/// products differ by at most 2⁻¹¹‖q‖‖x‖ + 2⁻²⁵‖q‖₁; each float32 evaluation adds at most
/// γ_d·Σ|qⱼ||xⱼ| with γ_d = d·u / (1 − d·u). B is that sum with both evaluations counted, widened
/// by 1%.
///
/// Used for cosine and inner product (a dot product), on CPUs with AVX2, FMA and F16C, without a
/// filter (a filtered scan keeps its prefilter path in float32).
enum HalfScan {
    static func bound(query: [Float], maxNorm: Float, dimension d: Int) -> Float {
        var squared = 0.0, absolute = 0.0
        for value in query {
            squared += Double(value) * Double(value)
            absolute += Double(abs(value))
        }
        let u = 0x1p-24
        let gamma = Double(d) * u / (1 - Double(d) * u)
        let norms = squared.squareRoot() * Double(maxNorm)
        let halfError = 0x1p-11 * norms + 0x1p-25 * absolute
        let evaluation = gamma * (norms * (1 + 0x1p-11) + 0x1p-25 * absolute) + gamma * norms
        return Float((halfError + evaluation) * 1.01) + .leastNormalMagnitude
    }

    /// Scans `slabs` (every one with usable halves; slab i numbers its rows from `bases[i]`).
    static func scan(_ slabs: [TenantSlab], bases: [Int], query: [Float], into top: inout TopK) {
        let total = slabs.reduce(0) { $0 + $1.count }
        guard total > 0 else { return }
        let d = slabs[0].dimension
        let maxNorm = slabs.reduce(Float(0)) { max($0, $1.maxNorm) }
        query.withUnsafeBufferPointer { q in
            let queryBase = q.baseAddress!
            withUnsafeTemporaryAllocation(of: Float.self, capacity: total) { approximate in
                // Pass 1: approximate scores of every row, and their k-th best.
                var approximateTop = TopK(k: top.k)
                var offset = 0
                for slab in slabs {
                    slab.halves.withUnsafeBufferPointer {
                        cb_scan_dot_half_avx2(queryBase, $0.baseAddress!, slab.count, d, approximate.baseAddress! + offset)
                    }
                    SelectionKernel.offer(approximate.baseAddress! + offset, count: slab.count, firstRow: 0, into: &approximateTop) { _ in true }
                    offset += slab.count
                }
                let cutoff = approximateTop.count < approximateTop.k
                    ? -Float.infinity : approximateTop.threshold - 2 * bound(query: query, maxNorm: maxNorm, dimension: d)
                // Pass 2: float32 scores of the rows the bound cannot rule out.
                offset = 0
                var exact: Float = 0
                for (slab, base) in zip(slabs, bases) {
                    slab.vectors.withUnsafeBufferPointer { rows in
                        for row in 0..<slab.count where approximate[offset + row] >= cutoff {
                            ScanKernel.scanAVX2(
                                query: queryBase, rows: rows.baseAddress! + row * d, count: 1, dimension: d,
                                negativeL2: false, into: &exact)
                            if exact > top.threshold { top.push(exact, row: Int32(base + row)) }
                        }
                    }
                    offset += slab.count
                }
            }
        }
    }
}
