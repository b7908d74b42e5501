/// Single-query similarity over a block of rows: the memory-bound path of exact search.
///
/// Four rows are scanned together so each 16-float slice of the query is loaded once per four
/// rows, and four independent accumulators keep the adder busy. Horizontal sums are written by
/// hand (`SIMD.sum()` is slow). No allocation, no Foundation.
enum ScanKernel {
    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always)
    static func horizontalSum(_ v: SIMD16<Float>) -> Float {
        let eight = v.lowHalf + v.highHalf
        let four = eight.lowHalf + eight.highHalf
        let two = four.lowHalf + four.highHalf
        return two[0] + two[1]
    }

    /// `out[i] = dot(query, rows[i])` for `count` rows of `dimension` floats.
    static func dot(
        query: UnsafePointer<Float>, rows: UnsafePointer<Float>, count: Int, dimension d: Int,
        into out: UnsafeMutablePointer<Float>
    ) {
        let vectorEnd = d & ~15
        var r = 0
        while r + 4 <= count {
            let p0 = rows + r * d
            let p1 = p0 + d
            let p2 = p1 + d
            let p3 = p2 + d
            var a0 = SIMD16<Float>()
            var a1 = SIMD16<Float>()
            var a2 = SIMD16<Float>()
            var a3 = SIMD16<Float>()
            var j = 0
            while j < vectorEnd {
                let q = load(query + j)
                a0 += load(p0 + j) * q
                a1 += load(p1 + j) * q
                a2 += load(p2 + j) * q
                a3 += load(p3 + j) * q
                j += 16
            }
            var s0 = horizontalSum(a0)
            var s1 = horizontalSum(a1)
            var s2 = horizontalSum(a2)
            var s3 = horizontalSum(a3)
            while j < d {
                let q = query[j]
                s0 += p0[j] * q
                s1 += p1[j] * q
                s2 += p2[j] * q
                s3 += p3[j] * q
                j += 1
            }
            out[r] = s0
            out[r + 1] = s1
            out[r + 2] = s2
            out[r + 3] = s3
            r += 4
        }
        while r < count {
            let p = rows + r * d
            var a = SIMD16<Float>()
            var j = 0
            while j < vectorEnd {
                a += load(p + j) * load(query + j)
                j += 16
            }
            var s = horizontalSum(a)
            while j < d {
                s += p[j] * query[j]
                j += 1
            }
            out[r] = s
            r += 1
        }
    }

    /// `out[i] = -‖query - rows[i]‖²`: the L2 similarity (larger is closer).
    static func negativeSquaredL2(
        query: UnsafePointer<Float>, rows: UnsafePointer<Float>, count: Int, dimension d: Int,
        into out: UnsafeMutablePointer<Float>
    ) {
        let vectorEnd = d & ~15
        var r = 0
        while r + 4 <= count {
            let p0 = rows + r * d
            let p1 = p0 + d
            let p2 = p1 + d
            let p3 = p2 + d
            var a0 = SIMD16<Float>()
            var a1 = SIMD16<Float>()
            var a2 = SIMD16<Float>()
            var a3 = SIMD16<Float>()
            var j = 0
            while j < vectorEnd {
                let q = load(query + j)
                let d0 = load(p0 + j) - q
                let d1 = load(p1 + j) - q
                let d2 = load(p2 + j) - q
                let d3 = load(p3 + j) - q
                a0 += d0 * d0
                a1 += d1 * d1
                a2 += d2 * d2
                a3 += d3 * d3
                j += 16
            }
            var s0 = horizontalSum(a0)
            var s1 = horizontalSum(a1)
            var s2 = horizontalSum(a2)
            var s3 = horizontalSum(a3)
            while j < d {
                let q = query[j]
                let d0 = p0[j] - q
                let d1 = p1[j] - q
                let d2 = p2[j] - q
                let d3 = p3[j] - q
                s0 += d0 * d0
                s1 += d1 * d1
                s2 += d2 * d2
                s3 += d3 * d3
                j += 1
            }
            out[r] = -s0
            out[r + 1] = -s1
            out[r + 2] = -s2
            out[r + 3] = -s3
            r += 4
        }
        while r < count {
            out[r] = -squaredL2(query, rows + r * d, dimension: d)
            r += 1
        }
    }

    /// ‖a - b‖² for one pair.
    static func squaredL2(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, dimension d: Int) -> Float {
        let vectorEnd = d & ~15
        var acc = SIMD16<Float>()
        var j = 0
        while j < vectorEnd {
            let diff = load(a + j) - load(b + j)
            acc += diff * diff
            j += 16
        }
        var s = horizontalSum(acc)
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
    static func streamRead(_ buffer: UnsafeBufferPointer<Float>) -> Float {
        guard let base = buffer.baseAddress else { return 0 }
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
