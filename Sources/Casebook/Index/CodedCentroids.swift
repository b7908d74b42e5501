import CasebookKernels

/// The IVF centroids as int8 codes, for ranking them per query: ranking every centroid is the
/// fixed cost of each IVF query, and an integer dot product over one byte per value reads a quarter
/// of the float32 bytes and needs no float conversion (see CasebookKernels/int8_avx2.c).
///
/// Code scores are approximate. ``approximate(_:into:bounds:)`` gives each centroid's score with a
/// bound B_c on its distance from the float32 dot product, so the quantizer can keep every
/// centroid that might be among the nearest and rank those exactly. For a query q coded as
/// q' = q + e_q and a centroid c coded as c' = c + e_c, in d dimensions with u = 2⁻²⁴:
/// - coding: |q'·c' − q·c| ≤ ‖e_q‖·‖c‖ + ‖q'‖·‖e_c‖ (Cauchy–Schwarz on e_q·c + q'·e_c);
/// - the code score is the exact integer dot product times two scales, three float roundings:
///   at most 4u·‖q'‖·(‖c‖ + ‖e_c‖);
/// - the float32 dot product differs from q·c by at most γ_d·‖q‖·‖c‖, γ_d = d·u / (1 − d·u).
/// B_c is their sum widened by 1%, plus 2⁻²¹·|score| for the roundings of score ± B_c and the
/// smallest normal float for underflow.
struct CodedCentroids: Sendable, Hashable {
    let count: Int
    let dimension: Int
    private let codes: [Int8]
    private let scales: [Float]
    /// ‖c‖ and ‖c − code‖ per centroid, computed in double and rounded up.
    private let norms: [Float]
    private let codeErrors: [Float]

    /// Largest norm (query or centroid) whose code scores stay far from float32 overflow; beyond
    /// it the quantizer ranks in float32.
    static let largestNorm: Double = 1e15

    /// False when a centroid is too large for its codes' scores.
    let isUsable: Bool

    init(centroids: [Float], count: Int, dimension d: Int) {
        self.count = count
        dimension = d
        var codes = [Int8](repeating: 0, count: count * d)
        var scales = [Float](repeating: 0, count: count)
        var norms = [Float](repeating: 0, count: count)
        var codeErrors = [Float](repeating: 0, count: count)
        var largest = 0.0
        centroids.withUnsafeBufferPointer { values in
            codes.withUnsafeMutableBufferPointer { codes in
                for c in 0..<count {
                    var norm = 0.0, error = 0.0
                    scales[c] = cb_quantize_i8(values.baseAddress! + c * d, d, codes.baseAddress! + c * d, &norm, &error)
                    norms[c] = CodeErrorBound.roundedUp(norm)
                    codeErrors[c] = CodeErrorBound.roundedUp(error)
                    largest = max(largest, norm, error)
                }
            }
        }
        self.codes = codes
        self.scales = scales
        self.norms = norms
        self.codeErrors = codeErrors
        isUsable = largest <= Self.largestNorm
    }

    /// Writes each centroid's code score with `query` into `scores` and its error bound into
    /// `bounds` (both `count` long). Returns false, writing nothing, when the query's norm is beyond
    /// ``largestNorm``.
    func approximate(
        _ query: UnsafePointer<Float>, into scores: UnsafeMutablePointer<Float>, bounds: UnsafeMutablePointer<Float>
    ) -> Bool {
        let d = dimension
        return withUnsafeTemporaryAllocation(of: Int8.self, capacity: d) { queryCodes in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: d) { magnitudes in
                var norm = 0.0, error = 0.0
                let scale = cb_quantize_i8(query, d, queryCodes.baseAddress!, &norm, &error)
                guard norm <= Self.largestNorm else { return false }
                for j in 0..<d { magnitudes[j] = queryCodes[j].magnitude }
                codes.withUnsafeBufferPointer { rows in
                    scales.withUnsafeBufferPointer { scales in
                        cb_scan_dot_i8(
                            queryCodes.baseAddress!, magnitudes.baseAddress!, scale, rows.baseAddress!,
                            scales.baseAddress!, count, d, scores)
                    }
                }
                let bound = CodeErrorBound(queryNorm: norm, queryError: error, dimension: d)
                for c in 0..<count { bounds[c] = bound(score: scores[c], norm: norms[c], error: codeErrors[c]) }
                return true
            }
        }
    }
}

/// The bound above, for one query against any row coded the same way (the centroids here, a flat
/// slab's rows in `CodedScan`): B = perNorm·‖x‖ + perError·‖e_x‖, its terms grouped by what they
/// multiply, plus 2⁻²¹·|score| and the smallest normal float.
struct CodeErrorBound {
    let perNorm: Float
    let perError: Float

    /// `queryNorm` and `queryError` as `cb_quantize_i8` gives them for the query.
    init(queryNorm norm: Double, queryError error: Double, dimension d: Int) {
        let u = 0x1p-24
        let gamma = Double(d) * u / (1 - Double(d) * u)
        let codedNorm = norm + error
        perNorm = Float((error + 4 * u * codedNorm + gamma * norm) * 1.01 * (1 + 0x1p-20))
        perError = Float((codedNorm + 4 * u * codedNorm) * 1.01 * (1 + 0x1p-20))
    }

    /// The bound for a score computed in float32 (sgemm) from a row's dequantized codes
    /// ĉ = fl(scale·code) and the query itself (‖q‖ = `queryNorm`, computed in double): the rounding
    /// of ĉ, |ĉ·q − c·q| ≤ ‖ĉ − c‖·‖q‖ ≤ (e + u(‖c‖ + e))·‖q‖, and the two float32 evaluations
    /// (sgemm's and the float32 scan's) at most γ_d·‖ĉ‖·‖q‖ and γ_d·‖c‖·‖q‖, ‖ĉ‖ ≤ (‖c‖ + e)(1 + u);
    /// widened by 1% like the coded one.
    init(dequantizedFor queryNorm: Double, dimension d: Int) {
        let u = 0x1p-24
        let gamma = Double(d) * u / (1 - Double(d) * u)
        perNorm = Float(queryNorm * (u + gamma * (2 + u)) * 1.01 * (1 + 0x1p-20))
        perError = Float(queryNorm * (1 + u + gamma * (1 + u)) * 1.01 * (1 + 0x1p-20))
    }

    /// A row's bound from its code score and its stored norm and coding error (both rounded up).
    /// The float sum of two non-negative terms loses at most a relative 2u, inside the margin;
    /// 2⁻²¹·|score| covers the roundings of the caller's score ± bound.
    @inline(__always)
    func callAsFunction(score: Float, norm: Float, error: Float) -> Float {
        perNorm * norm + perError * error + 0x1p-21 * abs(score) + .leastNormalMagnitude
    }

    /// A norm or coding error computed in double, stored as a float no smaller.
    static func roundedUp(_ value: Double) -> Float { Float(value * (1 + 0x1p-20)) }
}
