/// One feature after weighting: where it lands in the vector and how much it puts there.
public struct WeightedFeature: Sendable, Hashable {
    public let namespace: FeatureNamespace
    /// The token as hashed, without its `"<namespace>:"` prefix.
    public let token: String
    public let hash: UInt32
    public let bucket: Int
    public let sign: Float
    /// Magnitude in the final unit vector: `vector[bucket]` is the sum of `sign * weight` over
    /// the features in that bucket.
    public let weight: Double
    /// Magnitude within the namespace's own unit vector, before namespace weights.
    public let namespaceWeight: Double
}

extension Featurizer {
    /// Sublinear term frequency, 1 + ln(tf); fractional weights (numbers shared between two
    /// buckets) stay as they are, so the curve is continuous.
    @inline(__always)
    static func sublinear(_ tf: Double) -> Double { tf <= 1 ? tf : 1 + PortableMath.ln(tf) }

    /// The unit vector of the features added so far, or nil when there are none.
    func vector(dimension: Int) -> [Float]? {
        var ignored: [WeightedFeature] = []
        return build(dimension: dimension, collecting: false, into: &ignored)
    }

    /// The vector and every feature that makes it up, namespace by namespace in first-seen order.
    func weightedFeatures(dimension: Int) -> (vector: [Float], features: [WeightedFeature])? {
        var features: [WeightedFeature] = []
        guard let vector = build(dimension: dimension, collecting: true, into: &features) else { return nil }
        return (vector, features)
    }

    /// Each namespace is L2-normalised and scaled by its weight; the sum is L2-normalised. All in
    /// Double, in a fixed order.
    private func build(dimension: Int, collecting: Bool, into features: inout [WeightedFeature]) -> [Float]? {
        var sums = [Double](repeating: 0, count: dimension)
        var scales = [Double](repeating: 0, count: tables.count)
        for namespace in FeatureNamespace.allCases {
            let table = tables[namespace.ordinal]
            let weight = parameters.weights[namespace]
            guard table.count > 0, weight > 0 else { continue }
            var squares = 0.0
            for tf in table.weights {
                let value = Self.sublinear(tf)
                squares += value * value
            }
            guard squares > 0 else { continue }
            let norm = squares.squareRoot()
            let scale = weight / norm
            scales[namespace.ordinal] = scale
            for (hash, tf) in zip(table.hashes, table.weights) {
                let slot = HashedSlot(hash: hash, dimension: dimension)
                sums[slot.bucket] += Double(slot.sign) * scale * Self.sublinear(tf)
            }
        }
        var total = 0.0
        for value in sums { total += value * value }
        guard total > 0 else { return nil }
        let inverseNorm = 1 / total.squareRoot()
        if collecting {
            for namespace in FeatureNamespace.allCases where scales[namespace.ordinal] > 0 {
                let table = tables[namespace.ordinal]
                let scale = scales[namespace.ordinal]
                let namespaceNorm = parameters.weights[namespace] / scale
                for i in 0..<table.count {
                    let value = Self.sublinear(table.weights[i])
                    let slot = HashedSlot(hash: table.hashes[i], dimension: dimension)
                    features.append(WeightedFeature(
                        namespace: namespace, token: table.tokens[i], hash: table.hashes[i], bucket: slot.bucket,
                        sign: slot.sign, weight: scale * value * inverseNorm, namespaceWeight: value / namespaceNorm))
                }
            }
        }
        return sums.map { Float($0 * inverseNorm) }
    }
}
