/// The answer to one query: also the JSON object of `casebook search --json` and the socket API.
public struct SearchResponse: Sendable, Hashable, Codable {
    /// Identifies this search in the match log (shown / used / outcome).
    public var queryId: String
    /// Whether the results are the exact top-k (always true for the flat index).
    public var exact: Bool
    /// Inverted lists scanned (0 for a flat scan).
    public var probed: Int
    public var tookMs: Double
    /// Whether the results were re-ranked by their history (``RerankOptions``); each result then
    /// carries its `similarity` beside the final `score`.
    public var reranked: Bool
    public var results: [SearchResult]

    public init(
        queryId: String, exact: Bool, probed: Int = 0, tookMs: Double, reranked: Bool = false, results: [SearchResult]
    ) {
        self.queryId = queryId
        self.exact = exact
        self.probed = probed
        self.tookMs = tookMs
        self.reranked = reranked
        self.results = results
    }
}

/// One returned precedent. `score` is what the results are ordered by: the metric's score (cosine
/// similarity, inner product, or squared Euclidean distance for L2, smaller is closer), or the
/// final score of a re-ranked search, whose `similarity` then keeps the metric's score.
public struct SearchResult: Sendable, Hashable, Codable {
    /// 1 for the best match.
    public var rank: Int
    public var id: PrecedentID
    public var score: Float
    /// The metric's score, when the search was re-ranked (nil otherwise: it is `score`).
    public var similarity: Float?
    public var precedent: Precedent?
    /// The features shared with the query, when the search asked to explain.
    public var explanation: SearchExplanation?
    /// A hybrid collection's search: the score of each part, which `score` weighs together.
    public var parts: ScoreParts?

    public init(
        rank: Int, id: PrecedentID, score: Float, similarity: Float? = nil, precedent: Precedent?,
        explanation: SearchExplanation? = nil, parts: ScoreParts? = nil
    ) {
        self.rank = rank
        self.id = id
        self.score = score
        self.similarity = similarity
        self.precedent = precedent
        self.explanation = explanation
        self.parts = parts
    }
}

/// A hybrid search's two scores for one result: `score` = w · lexical + (1 - w) · vector, w the
/// request's `lexicalWeight`.
public struct ScoreParts: Sendable, Hashable, Codable {
    /// The cosine of the featurizer's vectors (text and context, the query weighed as usual).
    public var lexical: Float
    /// The cosine of the external model's vectors.
    public var vector: Float

    public init(lexical: Float, vector: Float) {
        self.lexical = lexical
        self.vector = vector
    }
}
