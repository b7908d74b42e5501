import Casebook
import Foundation

/// Deterministic benchmark datasets: the same parameters and seed give the same vectors on every
/// machine. Vectors are unit length, so inner product, cosine and L2 rank alike and every peer
/// can be run with its inner-product index.
public enum SyntheticVectors {
    /// Uniform on the unit sphere (normalised standard Gaussians): the hard case for any index,
    /// with no structure to exploit.
    public static func sphere(count: Int, dimension: Int, seed: UInt64) -> FloatMatrix {
        var random = SplitMix64(seed: seed)
        var values = [Float](repeating: 0, count: count * dimension)
        for row in 0..<count {
            for j in 0..<dimension { values[row * dimension + j] = random.gaussian() }
            normalize(&values, row: row, dimension: dimension)
        }
        return FloatMatrix(rowCount: count, dimension: dimension, values: values)
    }

    /// A Gaussian mixture: `clusters` centres drawn from N(0, 1) per coordinate (from `centreSeed`,
    /// so base and queries can share centres while drawing different points), each point a random
    /// centre plus N(0, spread²) noise, normalised. Spread 1 puts points of one cluster at a cosine
    /// of about 0.5 to each other and near 0 to other clusters, like embeddings of related texts.
    public static func clustered(
        count: Int, dimension: Int, clusters: Int, spread: Float = 1, centreSeed: UInt64, seed: UInt64
    ) -> FloatMatrix {
        var centreRandom = SplitMix64(seed: centreSeed)
        let centres = (0..<(clusters * dimension)).map { _ in centreRandom.gaussian() }
        var random = SplitMix64(seed: seed)
        var values = [Float](repeating: 0, count: count * dimension)
        for row in 0..<count {
            let centre = Int(random.next() % UInt64(clusters)) * dimension
            for j in 0..<dimension { values[row * dimension + j] = centres[centre + j] + spread * random.gaussian() }
            normalize(&values, row: row, dimension: dimension)
        }
        return FloatMatrix(rowCount: count, dimension: dimension, values: values)
    }

    private static func normalize(_ values: inout [Float], row: Int, dimension: Int) {
        var sum: Float = 0
        for j in 0..<dimension { sum += values[row * dimension + j] * values[row * dimension + j] }
        let scale = 1 / sum.squareRoot()
        for j in 0..<dimension { values[row * dimension + j] *= scale }
    }
}

extension SplitMix64 {
    /// A standard normal draw (Box-Muller on two 53-bit uniforms; the second value is dropped to
    /// keep the generator stateless beyond SplitMix's counter).
    public mutating func gaussian() -> Float {
        let u1 = (Double(next() >> 11) + 1) / 9_007_199_254_740_992  // (0, 1]
        let u2 = Double(next() >> 11) / 9_007_199_254_740_992
        return Float((-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
    }
}
