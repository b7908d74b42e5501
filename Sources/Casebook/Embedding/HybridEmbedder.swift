/// A hybrid collection's embedder: Casebook's featurizer (hashed-v1 or hashed-v2) for a precedent's
/// text and context, and an external model's vector given with it. The stored vector is both,
/// each of unit length, side by side and scaled by 1/√2 (unit length in all, so the cosine
/// metric's index keeps working as it is).
///
/// Fusion is a weighted sum, exact in one scan: a query of text or context and a vector becomes
/// `√2 · [w · lexical ; (1 - w) · model]`, whose dot product with a stored vector is
/// w · cos(lexical) + (1 - w) · cos(model). Reciprocal-rank fusion would need every row's rank in
/// both spaces, which an index's top k does not give; the weighted sum needs nothing beyond the
/// scan every search already makes, and is filtered and exact like any search.
public struct HybridEmbedder: Embedder {
    public let config: EmbedderConfig
    public let dimension: Int
    public let metric: Metric
    let lexical: HashedNGramEmbedder
    let model: ExternalVectors

    init(config: EmbedderConfig, dimension: Int, metric: Metric) throws(CasebookError) {
        guard let companion = config.companionDimension, companion >= 1, companion < dimension else {
            throw .unsupportedConfiguration("a hybrid collection's external dimension must be 1 to the collection's dimension - 1")
        }
        guard metric == .cosine else {
            throw .unsupportedConfiguration("a hybrid collection uses the cosine metric (each part is a cosine)")
        }
        var hashed = config
        hashed.spaceId = nil
        hashed.companionDimension = nil
        lexical = try HashedNGramEmbedder(config: hashed, dimension: dimension - companion, metric: metric)
        model = ExternalVectors(config: .external(spaceId: config.spaceId), dimension: companion, metric: metric)
        var full = lexical.config
        full.spaceId = config.spaceId
        full.companionDimension = companion
        self.config = full
        self.dimension = dimension
        self.metric = metric
    }

    static let half = Float((0.5).squareRoot())

    public var computesVectors: Bool { true }
    public var weighsByFrequency: Bool { lexical.weighsByFrequency }

    /// The featurizer's vector and the model's (`precedent.vector`), side by side.
    public func documentVector(for precedent: Precedent) throws(CasebookError) -> [Float] {
        let external = try modelPart(of: precedent)
        var bare = precedent
        bare.vector = nil
        return Self.joined(try lexical.documentVector(for: bare), external)
    }

    public func documentVectorsAndFrequencies(for precedents: [Precedent]) throws(CasebookError)
        -> (vectors: [[Float]], frequencies: [TenantID: FeatureFrequencies])
    {
        var externals: [[Float]] = []
        externals.reserveCapacity(precedents.count)
        for (index, precedent) in precedents.enumerated() {
            do throws(CasebookError) {
                externals.append(try modelPart(of: precedent))
            } catch {
                throw .item(index: index, id: precedent.id, problem: error)
            }
        }
        let bare = precedents.map { p in
            var p = p
            p.vector = nil
            return p
        }
        let (vectors, frequencies) = try lexical.documentVectorsAndFrequencies(for: bare)
        return (zip(vectors, externals).map(Self.joined), frequencies)
    }

    public func documentVectors(for precedents: [Precedent]) throws(CasebookError) -> [[Float]] {
        try documentVectorsAndFrequencies(for: precedents).vectors
    }

    public func featureKeys(of precedent: Precedent) -> [UInt64] { lexical.featureKeys(of: precedent) }

    public func queryVector(_ query: QueryInput) throws(CasebookError) -> [Float] {
        guard let vector = try fused(query, frequencies: nil) else {
            throw .embedding("the query's text and context have nothing to embed (no words or values)")
        }
        return vector
    }

    public func queryVector(_ query: QueryInput, frequencies: FeatureFrequencies) throws(CasebookError) -> [Float]? {
        try fused(query, frequencies: frequencies)
    }

    /// The weighted query; nil when it has no vector and nothing of its text and context occurs
    /// in the tenant's precedents.
    private func fused(_ query: QueryInput, frequencies: FeatureFrequencies?) throws(CasebookError) -> [Float]? {
        try fuse(try queryParts(query, frequencies: frequencies), query)
    }

    /// A query's two parts, each of unit length: the featurizer's (nil without text or context,
    /// or when none of its features occurs in the tenant's precedents) and the model's.
    public func queryParts(_ query: QueryInput, frequencies: FeatureFrequencies?) throws(CasebookError)
        -> (lexical: [Float]?, model: [Float]?)
    {
        guard query.vector != nil || query.hasFeatures else {
            throw .embedding("a query needs text, context or a vector")
        }
        var lexicalPart: [Float]?
        if query.hasFeatures {
            let words = QueryInput(text: query.text, context: query.context, tenant: query.tenant)
            if let frequencies {
                lexicalPart = try lexical.queryVector(words, frequencies: frequencies)
            } else {
                lexicalPart = try lexical.queryVector(words)
            }
        }
        return (lexicalPart, try query.vector.map { v throws(CasebookError) in try model.prepared(v) })
    }

    /// `√2 · [w · lexical ; (1 - w) · model]` (√2 undoes the stored halves' 1/√2, so the score is
    /// the weighted sum of the two cosines); w is 1 or 0 when the query has one part only.
    public func fuse(_ parts: (lexical: [Float]?, model: [Float]?), _ query: QueryInput) throws(CasebookError) -> [Float]? {
        if parts.lexical == nil, query.vector == nil { return nil }
        let weight = query.vector == nil ? 1 : query.hasFeatures ? query.lexicalWeight ?? SearchRequest.defaultLexicalWeight : 0
        guard (0...1).contains(weight) else { throw .invalidParameter("lexicalWeight must be from 0 to 1, got \(weight)") }
        let root2 = (2.0).squareRoot()
        let (l, m) = (Float(weight * root2), Float((1 - weight) * root2))
        var fused = [Float](repeating: 0, count: dimension)
        if let lexicalPart = parts.lexical { for i in lexicalPart.indices { fused[i] = lexicalPart[i] * l } }
        if let modelPart = parts.model { for i in modelPart.indices { fused[lexical.dimension + i] = modelPart[i] * m } }
        return fused
    }

    /// Each part's cosine with a stored vector.
    public func partScores(_ parts: (lexical: [Float], model: [Float]), stored: [Float]) -> ScoreParts {
        var l = 0.0, m = 0.0
        for i in parts.lexical.indices { l += Double(parts.lexical[i]) * Double(stored[i]) }
        for i in parts.model.indices { m += Double(parts.model[i]) * Double(stored[lexical.dimension + i]) }
        return ScoreParts(lexical: Float(l * (2.0).squareRoot()), vector: Float(m * (2.0).squareRoot()))
    }

    /// The external vector as the client gave it back (unit length).
    func modelVector(of stored: [Float]) -> [Float] { stored[lexical.dimension...].map { $0 / Self.half } }

    public func explain(query: QueryInput, document: Precedent, limit: Int, frequencies: FeatureFrequencies?)
        -> SearchExplanation?
    {
        guard query.hasFeatures else { return nil }
        var words = query
        words.vector = nil
        var bare = document
        bare.vector = nil
        return lexical.explain(query: words, document: bare, limit: limit, frequencies: frequencies)
    }

    private func modelPart(of precedent: Precedent) throws(CasebookError) -> [Float] {
        guard let vector = precedent.vector else {
            throw .embedding(
                "a hybrid collection needs each precedent's vector from \(config.spaceId ?? "its model") (\(model.dimension) numbers) beside its text and context")
        }
        return try model.prepared(vector)
    }

    private static func joined(_ lexical: [Float], _ model: [Float]) -> [Float] {
        lexical.map { $0 * half } + model.map { $0 * half }
    }
}
