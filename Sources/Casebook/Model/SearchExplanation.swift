/// Why a precedent matched a featurized query. Hashing has no inverse, so the explanation comes
/// from featurizing both sides again and listing the features they share.
public struct SearchExplanation: Sendable, Hashable, Codable {
    /// The shared features that carry the score, largest contribution first.
    public var features: [ExplainedFeature]
    /// Similarity within each namespace the two sides share, in namespace order.
    public var namespaces: [NamespaceSimilarity]
    /// The dot product of the two vectors that the shared features do not account for: different
    /// tokens landing in one bucket (hash collisions). Near zero at adequate dimensions.
    public var collisions: Double

    public init(features: [ExplainedFeature], namespaces: [NamespaceSimilarity], collisions: Double) {
        self.features = features
        self.namespaces = namespaces
        self.collisions = collisions
    }
}

/// One feature present in both query and precedent.
public struct ExplainedFeature: Sendable, Hashable, Codable {
    /// `ctx`, `word`, `char`, `tag` or `cat`.
    public var namespace: String
    /// The token as hashed, e.g. `reason=customer_unreachable`, `not available`, `<cus`.
    public var token: String
    /// Its share of the vectors' dot product (the cosine score for unit vectors).
    public var contribution: Double

    public init(namespace: String, token: String, contribution: Double) {
        self.namespace = namespace
        self.token = token
        self.contribution = contribution
    }
}

/// How alike query and precedent are within one namespace.
public struct NamespaceSimilarity: Sendable, Hashable, Codable {
    public var namespace: String
    /// Cosine of the two sides' features in this namespace alone, before weighting and hashing.
    public var similarity: Double
    /// This namespace's share of the dot product.
    public var contribution: Double

    public init(namespace: String, similarity: Double, contribution: Double) {
        self.namespace = namespace
        self.similarity = similarity
        self.contribution = contribution
    }
}
