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
    /// Whether this CPU runs the half-precision kernel (checked once).
    static let hasKernel = cb_half_avx2_available()

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

    /// Scans the `scanned` lists of `lists` (every one with usable halves).
    static func scan(_ lists: [TenantSlab], scanned: ScannedLists, query: [Float], into top: inout TopK) {
        let total = scanned.total
        guard total > 0 else { return }
        lists.withUnsafeBufferPointer { lists in
            let d = lists[scanned.lists[0]].dimension
            var maxNorm: Float = 0
            for list in scanned.lists { maxNorm = max(maxNorm, lists[list].maxNorm) }
            let cutoffMargin = 2 * bound(query: query, maxNorm: maxNorm, dimension: d)
            query.withUnsafeBufferPointer { q in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: total) { approximate in
                    scan(lists, scanned: scanned, query: q.baseAddress!, margin: cutoffMargin,
                         approximate: approximate.baseAddress!, into: &top)
                }
            }
        }
    }

    private static func scan(
        _ lists: UnsafeBufferPointer<TenantSlab>, scanned: ScannedLists, query: UnsafePointer<Float>, margin: Float,
        approximate: UnsafeMutablePointer<Float>, into top: inout TopK
    ) {
        let d = lists[scanned.lists[0]].dimension
        // Pass 1: approximate scores of every row, and their k-th best.
        var approximateTop = TopK(k: top.k)
        for (list, base) in zip(scanned.lists, scanned.bases) {
            let count = lists[list].count
            lists[list].halves.withUnsafeBufferPointer {
                cb_scan_dot_half_avx2(query, $0.baseAddress!, count, d, approximate + base)
            }
            SelectionKernel.offer(approximate + base, count: count, firstRow: 0, into: &approximateTop) { _ in true }
        }
        let cutoff = approximateTop.count < approximateTop.k ? -Float.infinity : approximateTop.threshold - margin
        // Pass 2: float32 scores of the rows the bound cannot rule out. All of them are
        // prefetched first: they are scattered over the lists, and scored one by one each waited
        // on DRAM alone.
        // Rows are gathered list by list (`ends[slot]`: one past that list's last one), so each
        // list's storage is entered once per pass.
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: scanned.total) { candidates in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: scanned.lists.count) { ends in
                var found = 0
                for (slot, (list, base)) in zip(scanned.lists, scanned.bases).enumerated() {
                    lists[list].vectors.withUnsafeBufferPointer { rows in
                        for row in 0..<lists[list].count where approximate[base + row] >= cutoff {
                            cb_prefetch(rows.baseAddress! + row * d, d * MemoryLayout<Float>.size)
                            candidates[found] = Int32(row)
                            found += 1
                        }
                    }
                    ends[slot] = found
                }
                var start = 0
                var exact: Float = 0
                for (slot, (list, base)) in zip(scanned.lists, scanned.bases).enumerated() where ends[slot] > start {
                    lists[list].vectors.withUnsafeBufferPointer { rows in
                        for row in candidates[start..<ends[slot]] {
                            ScanKernel.scanAVX2(
                                query: query, rows: rows.baseAddress! + Int(row) * d, count: 1, dimension: d,
                                negativeL2: false, into: &exact)
                            if exact > top.threshold { top.push(exact, row: Int32(base) + row) }
                        }
                    }
                    start = ends[slot]
                }
            }
        }
    }
}
