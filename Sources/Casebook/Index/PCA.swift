import CLAPACKE
import COpenBLAS

/// Principal component analysis for reducing wide external vectors before IVF: the covariance of a
/// sample by `cblas_ssyrk`, its eigenvectors by LAPACKE `ssyevd`, the top `outputDimension` kept.
/// A vector is reduced as (x − mean)·Wᵀ.
struct PCA: Sendable, Hashable {
    let inputDimension: Int
    let outputDimension: Int
    /// Per-coordinate mean of the training rows.
    let mean: [Float]
    /// outputDimension × inputDimension, row-major: component i is row i, largest variance first.
    let components: [Float]
    /// Variance along each kept component, largest first.
    let variances: [Double]
    /// Share of the total variance the kept components hold.
    let explainedShare: Double
    /// mean·Wᵀ, subtracted after projecting (so rows need not be centred first).
    private let meanProjection: [Float]

    init(
        inputDimension: Int, outputDimension: Int, mean: [Float], components: [Float], variances: [Double],
        explainedShare: Double
    ) {
        self.inputDimension = inputDimension
        self.outputDimension = outputDimension
        self.mean = mean
        self.components = components
        self.variances = variances
        self.explainedShare = explainedShare
        meanProjection = (0..<outputDimension).map { i in
            var sum = 0.0
            for j in 0..<inputDimension { sum += Double(mean[j]) * Double(components[i * inputDimension + j]) }
            return Float(sum)
        }
    }

    /// Fits on `rowCount` rows of `dimension` floats (row-major).
    static func fit(
        _ vectors: UnsafePointer<Float>, rowCount n: Int, dimension d: Int, outputDimension k: Int
    ) throws(CasebookError) -> PCA {
        guard (1...d).contains(k) else {
            throw .training("PCA output dimension must be between 1 and \(d), got \(k)")
        }
        guard n >= 2 else { throw .training("PCA needs at least 2 vectors, got \(n)") }
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += Double(vectors[i * d + j]) } }
        for j in 0..<d { mean[j] /= Double(n) }
        var centered = [Float](repeating: 0, count: n * d)
        for i in 0..<n { for j in 0..<d { centered[i * d + j] = Float(Double(vectors[i * d + j]) - mean[j]) } }
        // Upper triangle of XᵀX / (n − 1), d × d row-major.
        var covariance = [Float](repeating: 0, count: d * d)
        centered.withUnsafeBufferPointer { x in
            covariance.withUnsafeMutableBufferPointer { c in
                cblas_ssyrk(
                    CblasRowMajor, CblasUpper, CblasTrans, Int32(d), Int32(n), 1 / Float(n - 1),
                    x.baseAddress!, Int32(d), 0, c.baseAddress!, Int32(d))
            }
        }
        // Eigenvalues ascending; eigenvectors replace the matrix, one per column.
        var eigenvalues = [Float](repeating: 0, count: d)
        let status = covariance.withUnsafeMutableBufferPointer { c in
            eigenvalues.withUnsafeMutableBufferPointer { w in
                LAPACKE_ssyevd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "U")), Int32(d), c.baseAddress!, Int32(d), w.baseAddress!)
            }
        }
        guard status == 0 else { throw .training("PCA: the eigen-decomposition failed (LAPACK info \(status))") }
        var components = [Float](repeating: 0, count: k * d)
        var variances: [Double] = []
        for i in 0..<k {
            let column = d - 1 - i
            variances.append(Double(max(0, eigenvalues[column])))
            for j in 0..<d { components[i * d + j] = covariance[j * d + column] }
        }
        let total = eigenvalues.reduce(0.0) { $0 + Double(max(0, $1)) }
        return PCA(
            inputDimension: d, outputDimension: k, mean: mean.map { Float($0) }, components: components,
            variances: variances, explainedShare: total > 0 ? variances.reduce(0, +) / total : 1)
    }

    /// (x − mean)·Wᵀ for one vector.
    func apply(_ vector: [Float]) -> [Float] {
        precondition(vector.count == inputDimension, "PCA input has the wrong dimension")
        var out = [Float](repeating: 0, count: outputDimension)
        for i in 0..<outputDimension {
            var sum = 0.0
            for j in 0..<inputDimension {
                sum += Double(vector[j] - mean[j]) * Double(components[i * inputDimension + j])
            }
            out[i] = Float(sum)
        }
        return out
    }

    /// (x − mean)·Wᵀ for `rowCount` rows at once: one matrix product, then the mean's projection
    /// subtracted.
    func apply(rows: UnsafePointer<Float>, rowCount n: Int, into out: UnsafeMutablePointer<Float>) {
        guard n > 0 else { return }
        components.withUnsafeBufferPointer { w in
            GemmKernel.similarities(
                queries: rows, queryCount: n, rows: w.baseAddress!, rowCount: outputDimension,
                dimension: inputDimension, alpha: 1, into: out)
        }
        meanProjection.withUnsafeBufferPointer { shift in
            for i in 0..<n {
                let row = out + i * outputDimension
                for j in 0..<outputDimension { row[j] -= shift[j] }
            }
        }
    }
}
