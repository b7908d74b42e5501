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
    static func sublinear(_ tf: Double) -> Double { tf <= 1 ? tf : 1 + PortableMath.ln(tf) }

    /// `sublinear` of the whole counts 0..<64 (nearly every repeated token), made by the same
    /// function so the table and the formula agree to the bit.
    /// Written once when first used, read-only after: safe to share between threads.
    nonisolated(unsafe) static let smallCounts: UnsafePointer<Double> = {
        let table = UnsafeMutablePointer<Double>.allocate(capacity: 64)
        for i in 0..<64 { table[i] = sublinear(Double(i)) }
        return UnsafePointer(table)
    }()

    /// The unit vector of the features added so far, or nil when there are none. Consumes the
    /// features: the featurizer is empty afterwards.
    ///
    /// With `frequencies` (queries of a collection that keeps them), each feature's weight is
    /// multiplied by ``FeatureFrequencies/queryWeight(of:)``: rare features count more, and
    /// features no precedent holds count nothing. Nil when nothing is left.
    func vector(dimension: Int, frequencies: FeatureFrequencies? = nil) -> [Float]? {
        var ignored: [WeightedFeature] = []
        return build(dimension: dimension, frequencies: frequencies, collecting: false, into: &ignored)
    }

    /// The vector and every feature that makes it up, grouped by namespace, in first-seen order
    /// within each. Consumes the features.
    func weightedFeatures(dimension: Int, frequencies: FeatureFrequencies? = nil)
        -> (vector: [Float], features: [WeightedFeature])?
    {
        var features: [WeightedFeature] = []
        guard let vector = build(dimension: dimension, frequencies: frequencies, collecting: true, into: &features)
        else { return nil }
        return (vector, features)
    }

    /// Adds 1 to `counter` for each distinct feature added so far; the table keeps them.
    func count(into counter: FeatureTable) {
        let (slotKeys, _, order) = table.storage
        for i in 0..<table.count { counter.add(slotKeys[Int(order[i])], weight: 1, token: nil) }
    }

    /// The distinct features added so far, in first-seen order; the table keeps them.
    func featureKeys(into keys: inout [UInt64]) {
        let (slotKeys, _, order) = table.storage
        for i in 0..<table.count { keys.append(slotKeys[Int(order[i])]) }
    }

    /// Each namespace is L2-normalised and scaled by its weight; the sum is L2-normalised. All in
    /// Double, in first-seen order, so equal input gives equal bits.
    private func build(
        dimension: Int, frequencies: FeatureFrequencies?, collecting: Bool, into features: inout [WeightedFeature]
    ) -> [Float]? {
        let count = table.count
        guard count > 0 else { return nil }
        let tokens = collecting ? table.tokens : []
        let (keys, weights) = table.drainScratch()
        let (slotKeys, slotWeights, order) = table.storage
        table.forgetEntries()
        let namespaces = FeatureNamespace.ordered.count
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * namespaces) { scratch -> [Float]? in
            let norms = scratch.baseAddress!
            let scales = norms + namespaces
            // Squares summed per namespace in registers (a running sum in memory would make every
            // feature wait for the previous one's store).
            var squares = (0.0, 0.0, 0.0, 0.0, 0.0)
            let small = Self.smallCounts
            // One pass empties the table into first-seen order, applies sublinear tf and sums the
            // squares.
            for i in 0..<count {
                let slot = Int(order[i])
                let key = slotKeys[slot]
                let tf = slotWeights[slot]
                slotKeys[slot] = 0
                keys[i] = key
                var value: Double
                if tf <= 1 {
                    value = tf
                } else if tf < 64, tf == tf.rounded(.down) {
                    value = small[Int(tf)]
                } else {
                    value = Self.sublinear(tf)
                }
                if let frequencies { value *= frequencies.queryWeight(of: key) }
                weights[i] = value
                switch FeatureTable.namespaceOrdinal(key) {
                case 0: squares.0 += value * value
                case 1: squares.1 += value * value
                case 2: squares.2 += value * value
                case 3: squares.3 += value * value
                default: squares.4 += value * value
                }
            }
            norms[0] = squares.0
            norms[1] = squares.1
            norms[2] = squares.2
            norms[3] = squares.3
            norms[4] = squares.4
            for namespace in FeatureNamespace.ordered {
                let n = namespace.ordinal
                norms[n] = norms[n].squareRoot()
                scales[n] = norms[n] > 0 ? parameters.weights[namespace] / norms[n] : 0
            }
            // Only the buckets this document touches are summed, normalised and cleared: the
            // scratch sums stay zero between documents, and nothing walks all `dimension` of them.
            let (sums, touched, touchedCount) = table.scatter(
                count: count, dimension: dimension, keys: keys, weights: weights, scales: scales)
            // Two running sums in a fixed order: half the dependency chain, the same bits every run.
            var even = 0.0, odd = 0.0
            var t = 0
            while t + 1 < touchedCount {
                even += sums[Int(touched[t])] * sums[Int(touched[t])]
                odd += sums[Int(touched[t + 1])] * sums[Int(touched[t + 1])]
                t += 2
            }
            if t < touchedCount { even += sums[Int(touched[t])] * sums[Int(touched[t])] }
            let total = even + odd
            guard total > 0 else {
                for t in 0..<touchedCount { sums[Int(touched[t])] = 0 }
                return nil
            }
            let inverseNorm = 1 / total.squareRoot()
            if collecting {
                for namespace in FeatureNamespace.ordered where scales[namespace.ordinal] > 0 {
                    // A query feature no precedent holds weighs 0 and is left out.
                    for i in 0..<count where FeatureTable.namespaceOrdinal(keys[i]) == namespace.ordinal && weights[i] > 0 {
                        let hash = UInt32(truncatingIfNeeded: keys[i])
                        let slot = HashedSlot(hash: hash, dimension: dimension)
                        features.append(WeightedFeature(
                            namespace: namespace, token: tokens[i], hash: hash, bucket: slot.bucket, sign: slot.sign,
                            weight: scales[namespace.ordinal] * weights[i] * inverseNorm,
                            namespaceWeight: weights[i] / norms[namespace.ordinal]))
                    }
                }
            }
            var vector = [Float](repeating: 0, count: dimension)
            vector.withUnsafeMutableBufferPointer { vector in
                for t in 0..<touchedCount {
                    let bucket = Int(touched[t])
                    vector[bucket] = Float(sums[bucket] * inverseNorm)
                    sums[bucket] = 0
                }
            }
            return vector
        }
    }
}

/// x mod d for 32-bit x by one multiplication (Lemire, Kaser and Kurz, "Faster remainder by direct
/// computation", 2019): exact for every 32-bit x and d, without a division per feature.
struct FastModulo {
    let divisor: UInt64
    let magic: UInt64

    init(_ divisor: Int) {
        self.divisor = UInt64(divisor)
        magic = UInt64.max / UInt64(divisor) &+ 1
    }

    @inline(__always)
    func remainder(_ x: UInt32) -> Int {
        let low = magic &* UInt64(x)
        return Int(low.multipliedFullWidth(by: divisor).high)
    }
}
