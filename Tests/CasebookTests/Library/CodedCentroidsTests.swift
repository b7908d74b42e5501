import CasebookKernels
import Testing

@testable import Casebook

/// Ranking centroids from their int8 codes must choose the same lists, in the same order, as
/// scoring every centroid in float32.
@Suite struct CodedCentroidsTests {
    /// Centroids in groups of near-copies, nudged far below a code step (~1e-2 of the largest
    /// value) or near it: code scores cannot order them, so the error bound has to keep every one
    /// that might be among the nearest. Cosine-like (dot product) and L2 scores, list counts from
    /// 1 to past nlist.
    @Test(arguments: [true, false])
    func rankingFromCodesEqualsTheFloatRanking(spherical: Bool) throws {
        var random = SplitMix64(seed: 5)
        let d = 40, nlist = 240
        let groups = (0..<40).map { _ in (0..<d).map { _ in random.unit() } }
        var centroids: [Float] = []
        for c in 0..<nlist {
            let nudge: Float = c % 2 == 0 ? 1e-5 : 3e-3
            centroids += groups[c % 40].map { $0 * (1 + nudge * random.unit()) }
        }
        let quantizer = try IVFQuantizer(centroids: centroids, nlist: nlist, dimension: d, spherical: spherical, pca: nil)
        var compared = 0
        for q in 0..<40 {
            let query: [Float] = q < 20 ? groups[q].map { $0 * 1.3 } : (0..<d).map { _ in 3 * random.unit() }
            for count in [1, 3, 8, 50, 240, 300] {
                let (fromCodes, float32, scores) = query.withUnsafeBufferPointer { v in
                    (quantizer.rankedLists(v.baseAddress!, count: count, fromCodes: true),
                     quantizer.rankedLists(v.baseAddress!, count: count, fromCodes: false),
                     (0..<nlist).map { quantizer.similarity(v.baseAddress!, to: $0) })
                }
                // The same scores in the same order; the same lists except among those tied
                // exactly with the last (which of those a heap keeps depends on what it saw).
                #expect(fromCodes.map { scores[$0] } == float32.map { scores[$0] }, "query \(q), \(count) lists")
                let last = scores[float32.last!]
                #expect(fromCodes.filter { scores[$0] > last } == float32.filter { scores[$0] > last })
                compared += 1
            }
        }
        #expect(compared == 240)
    }

    /// A centroid too large for its codes' scores turns the codes off rather than wrong.
    @Test func hugeCentroidsAreRankedInFloat32() throws {
        let d = 8
        var centroids = [Float](repeating: 0.5, count: 3 * d)
        centroids[d] = 1e20
        let quantizer = try IVFQuantizer(centroids: centroids, nlist: 3, dimension: d, spherical: true, pca: nil)
        let query = [Float](repeating: 1, count: d)
        let lists = query.withUnsafeBufferPointer { quantizer.rankedLists($0.baseAddress!, count: 2, fromCodes: true) }
        #expect(lists == [1, 0])
    }

    /// The AVX2 and VNNI integer kernels give the portable loop's scores bit for bit (the integer
    /// sums are exact, the float multiplies the same), at widths around their 32-value blocks and
    /// with codes at ±127, where a saturating pair sum would show.
    @Test func integerKernelsAgree() {
        var random = SplitMix64(seed: 8)
        for d in [1, 7, 31, 32, 33, 63, 64, 65, 100, 384] {
            let n = 50
            var rows = (0..<(n * d)).map { _ in Int8(Int(random.next() % 255) - 127) }
            var query = (0..<d).map { _ in Int8(Int(random.next() % 255) - 127) }
            for j in 0..<d { rows[j] = 127; rows[d + j] = -127; query[j] = j % 2 == 0 ? 127 : -127 }
            let magnitudes = query.map(\.magnitude)
            let scales = (0..<n).map { _ in Float(random.next() % 1000 + 1) * 1e-3 }
            func scores(_ kernel: Int32) -> [Float]? {
                var out = [Float](repeating: .nan, count: n)
                let ran = cb_scan_dot_i8_kernel(kernel, query, magnitudes, 0.01, rows, scales, n, d, &out)
                return ran ? out : nil
            }
            // The reference: integer sums in Swift, then the same two float multiplies.
            let expected = (0..<n).map { r in
                let sum = (0..<d).reduce(0) { $0 + Int(query[$1]) * Int(rows[r * d + $1]) }
                return Float(sum) * 0.01 * scales[r]
            }
            #expect(scores(0) == expected, "portable, d \(d)")
            for kernel: Int32 in [1, 2] {
                guard let got = scores(kernel) else { continue }
                #expect(got == expected, "kernel \(kernel), d \(d)")
            }
        }
    }
}
