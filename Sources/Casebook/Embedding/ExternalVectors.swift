/// Vectors computed by any model outside Casebook: checked for dimension and finite values and,
/// under the cosine metric, scaled to unit length so that a dot product is the cosine.
public struct ExternalVectors: Embedder {
    public let config: EmbedderConfig
    public let dimension: Int
    public let metric: Metric

    public init(config: EmbedderConfig = .external(), dimension: Int, metric: Metric) {
        self.config = config
        self.dimension = dimension
        self.metric = metric
    }

    public func documentVector(for precedent: Precedent) throws(CasebookError) -> [Float] {
        guard let vector = precedent.vector else { throw .missingVector }
        return try prepared(vector)
    }

    public func queryVector(_ query: QueryInput) throws(CasebookError) -> [Float] {
        guard let vector = query.vector else {
            throw .embedding(
                "this collection takes external vectors: a query needs a vector, not text or context")
        }
        return try prepared(vector)
    }

    /// Validates and, for cosine, normalises. Norms accumulate in Double so that the result does
    /// not depend on summation order.
    func prepared(_ vector: [Float]) throws(CasebookError) -> [Float] {
        guard vector.count == dimension else {
            throw .dimensionMismatch(expected: dimension, actual: vector.count)
        }
        var sumOfSquares = 0.0
        for (position, value) in vector.enumerated() {
            guard value.isFinite else { throw .nonFiniteVector(position: position) }
            sumOfSquares += Double(value) * Double(value)
        }
        guard metric.normalizesVectors else { return vector }
        guard sumOfSquares > 0, sumOfSquares.isFinite else { throw .zeroVector }
        let scale = 1 / sumOfSquares.squareRoot()
        return vector.map { Float(Double($0) * scale) }
    }
}
