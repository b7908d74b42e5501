import CasebookKernels

/// Single-query similarity: the memory-bound path of exact search.
///
/// On CPUs with AVX2 + FMA the C kernels of CasebookKernels do the scan (8-wide fused multiply-add
/// keeps it memory-bound even when the sibling hyperthread is busy). The portable Swift kernel
/// below runs elsewhere: one row at a time, with four independent SIMD4 accumulators over 16 floats per step, so the
/// adds do not wait on each other and everything stays in registers. Measured on the target
/// machine (100,000 x 384): this runs at about 1.1x the streaming-read floor, while scanning four
/// rows together (sharing each query load) ran 3x slower — four interleaved streams spill
/// registers and stall. Horizontal sums are written by hand (`SIMD.sum()` is slow). No allocation,
/// no Foundation.
package enum ScanKernel {
    enum Choice { case avx2, portable }

    /// Whether the C kernels with AVX2 + FMA run on this CPU (checked once).
    static let hasAVX2 = cb_scan_avx2_available()

    /// The AVX2 scan of `count` rows (see CasebookKernels/scan_avx2.c). Requires ``hasAVX2``.
    @inline(__always)
    static func scanAVX2(
        query: UnsafePointer<Float>, rows: UnsafePointer<Float>, count: Int, dimension: Int,
        negativeL2: Bool, into out: UnsafeMutablePointer<Float>
    ) {
        if negativeL2 {
            cb_scan_negative_l2_avx2(query, rows, count, dimension, out)
        } else {
            cb_scan_dot_avx2(query, rows, count, dimension, out)
        }
    }

    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always)
    static func load4(_ pointer: UnsafePointer<Float>) -> SIMD4<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD4<Float>.self)
    }

    @inline(__always)
    static func horizontalSum(_ v: SIMD16<Float>) -> Float {
        let eight = v.lowHalf + v.highHalf
        let four = eight.lowHalf + eight.highHalf
        let two = four.lowHalf + four.highHalf
        return two[0] + two[1]
    }

    @inline(__always)
    static func horizontalSum(_ a: SIMD4<Float>, _ b: SIMD4<Float>, _ c: SIMD4<Float>, _ d: SIMD4<Float>) -> Float {
        let four = (a + b) + (c + d)
        let two = four.lowHalf + four.highHalf
        return two[0] + two[1]
    }

    /// Whether any of the 16 floats at `pointer` is greater than `threshold`.
    ///
    /// Written with `replacing(with:where:)` on SIMD4, which lowers to compare-and-blend; the
    /// generic `any(_:)` and `pointwiseMax` were measured 10-30x slower than a scalar loop here.
    @inline(__always)
    static func anyGreater(_ pointer: UnsafePointer<Float>, than threshold: Float) -> Bool {
        let a = load4(pointer)
        let b = load4(pointer + 4)
        let c = load4(pointer + 8)
        let d = load4(pointer + 12)
        let ab = a.replacing(with: b, where: b .> a)
        let cd = c.replacing(with: d, where: d .> c)
        let top = ab.replacing(with: cd, where: cd .> ab)
        let floor = SIMD4<Float>(repeating: threshold)
        // Each lane is now max(lane, threshold) − threshold: positive only where a lane wins.
        let excess = top.replacing(with: floor, where: floor .> top) - floor
        return (excess[0] + excess[1]) + (excess[2] + excess[3]) > 0
    }

    /// dot(a, b) over `d` floats.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, dimension d: Int) -> Float {
        let vectorEnd = d & ~15
        var a0 = SIMD4<Float>()
        var a1 = SIMD4<Float>()
        var a2 = SIMD4<Float>()
        var a3 = SIMD4<Float>()
        var j = 0
        while j < vectorEnd {
            a0 += load4(a + j) * load4(b + j)
            a1 += load4(a + j + 4) * load4(b + j + 4)
            a2 += load4(a + j + 8) * load4(b + j + 8)
            a3 += load4(a + j + 12) * load4(b + j + 12)
            j += 16
        }
        var s = horizontalSum(a0, a1, a2, a3)
        while j < d {
            s += a[j] * b[j]
            j += 1
        }
        return s
    }

    /// ‖a - b‖² for one pair.
    @inline(__always)
    static func squaredL2(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, dimension d: Int) -> Float {
        let vectorEnd = d & ~15
        var a0 = SIMD4<Float>()
        var a1 = SIMD4<Float>()
        var a2 = SIMD4<Float>()
        var a3 = SIMD4<Float>()
        var j = 0
        while j < vectorEnd {
            let d0 = load4(a + j) - load4(b + j)
            let d1 = load4(a + j + 4) - load4(b + j + 4)
            let d2 = load4(a + j + 8) - load4(b + j + 8)
            let d3 = load4(a + j + 12) - load4(b + j + 12)
            a0 += d0 * d0
            a1 += d1 * d1
            a2 += d2 * d2
            a3 += d3 * d3
            j += 16
        }
        var s = horizontalSum(a0, a1, a2, a3)
        while j < d {
            let diff = a[j] - b[j]
            s += diff * diff
            j += 1
        }
        return s
    }

    /// ‖a‖² for one row.
    static func squaredNorm(_ a: UnsafePointer<Float>, dimension d: Int) -> Float {
        let vectorEnd = d & ~15
        var acc = SIMD16<Float>()
        var j = 0
        while j < vectorEnd {
            let v = load(a + j)
            acc += v * v
            j += 16
        }
        var s = horizontalSum(acc)
        while j < d {
            s += a[j] * a[j]
            j += 1
        }
        return s
    }

    /// Reads every float of a buffer once (a sum, so the optimiser cannot drop the loads): the
    /// streaming-read floor that benchmarks compare the scan against.
    package static func streamRead(_ buffer: UnsafeBufferPointer<Float>) -> Float {
        guard let base = buffer.baseAddress else { return 0 }
        if hasAVX2 { return cb_stream_sum_avx2(base, buffer.count) }
        let n = buffer.count
        let end = n & ~63
        var a0 = SIMD16<Float>()
        var a1 = SIMD16<Float>()
        var a2 = SIMD16<Float>()
        var a3 = SIMD16<Float>()
        var j = 0
        while j < end {
            a0 += load(base + j)
            a1 += load(base + j + 16)
            a2 += load(base + j + 32)
            a3 += load(base + j + 48)
            j += 64
        }
        var s = horizontalSum(a0 + a1 + a2 + a3)
        while j < n {
            s += base[j]
            j += 1
        }
        return s
    }
}
