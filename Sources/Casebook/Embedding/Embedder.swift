/// Turns precedents and queries into vectors of one collection's space.
///
/// Implementations are deterministic and thread-safe: the facade embeds a whole batch before it
/// takes the write path, never while holding the index lock.
public protocol Embedder: Sendable {
    /// Stored with the collection; a vector made under another configuration is refused.
    var config: EmbedderConfig { get }
    var dimension: Int { get }

    /// The vector to index for a precedent, ready for the collection's metric.
    func documentVector(for precedent: Precedent) throws(CasebookError) -> [Float]

    /// The vectors of a batch, in order; a refused item is ``CasebookError/item(index:id:problem:)``.
    func documentVectors(for precedents: [Precedent]) throws(CasebookError) -> [[Float]]

    /// The vector to search with.
    func queryVector(_ query: QueryInput) throws(CasebookError) -> [Float]

    /// Whether searches weigh a query's features by the tenant's ``FeatureFrequencies``, which
    /// the collection then keeps as its precedents change.
    var weighsByFrequency: Bool { get }

    /// The vectors of a batch and, where ``weighsByFrequency``, each tenant's document
    /// frequencies of the batch's features.
    func documentVectorsAndFrequencies(for precedents: [Precedent]) throws(CasebookError)
        -> (vectors: [[Float]], frequencies: [TenantID: FeatureFrequencies])

    /// One precedent's distinct features (empty where the embedder keeps no frequencies).
    func featureKeys(of precedent: Precedent) -> [UInt64]

    /// The vector to search with, its features weighed by the tenant's frequencies; nil when no
    /// feature of the query occurs in the tenant's precedents (nothing can match but collisions).
    func queryVector(_ query: QueryInput, frequencies: FeatureFrequencies) throws(CasebookError) -> [Float]?

    /// Whether vectors come from the precedent's fields (true) or from the client (false): an
    /// update that leaves out the vector re-embeds in the first case and keeps it in the second.
    var computesVectors: Bool { get }

    /// The features a featurized query shares with a precedent; nil when the embedder cannot
    /// explain (external vectors, or a query given as a vector).
    func explain(query: QueryInput, document: Precedent, limit: Int, frequencies: FeatureFrequencies?)
        -> SearchExplanation?
}

extension Embedder {
    public var computesVectors: Bool { false }

    public var weighsByFrequency: Bool { false }

    public func documentVectorsAndFrequencies(for precedents: [Precedent]) throws(CasebookError)
        -> (vectors: [[Float]], frequencies: [TenantID: FeatureFrequencies])
    {
        (try documentVectors(for: precedents), [:])
    }

    public func featureKeys(of precedent: Precedent) -> [UInt64] { [] }

    public func queryVector(_ query: QueryInput, frequencies: FeatureFrequencies) throws(CasebookError) -> [Float]? {
        try queryVector(query)
    }

    public func documentVectors(for precedents: [Precedent]) throws(CasebookError) -> [[Float]] {
        var vectors: [[Float]] = []
        vectors.reserveCapacity(precedents.count)
        for (index, precedent) in precedents.enumerated() {
            do throws(CasebookError) {
                vectors.append(try documentVector(for: precedent))
            } catch {
                throw .item(index: index, id: precedent.id, problem: error)
            }
        }
        return vectors
    }

    public func explain(query: QueryInput, document: Precedent, limit: Int, frequencies: FeatureFrequencies?)
        -> SearchExplanation?
    { nil }
}

/// What a query may carry: a vector in the collection's space, or (for featurizing embedders)
/// text and structured context.
public struct QueryInput: Sendable, Hashable {
    public var vector: [Float]?
    public var text: String?
    public var context: [String: JSONValue]?
    /// Whose precedents are searched: hashed-v2 places the query's numbers on that tenant's
    /// scales (the collection sets it).
    public var tenant: TenantID?
    /// A hybrid collection: the weight of the text-and-context part (nil: the default).
    public var lexicalWeight: Double?

    public init(
        vector: [Float]? = nil, text: String? = nil, context: [String: JSONValue]? = nil, tenant: TenantID? = nil,
        lexicalWeight: Double? = nil
    ) {
        self.vector = vector
        self.text = text
        self.context = context
        self.tenant = tenant
        self.lexicalWeight = lexicalWeight
    }

    /// Whether the query has a text-and-context part.
    public var hasFeatures: Bool { text != nil || context != nil }
}

enum EmbedderFactory {
    /// The embedder a stored configuration names.
    static func make(config: EmbedderConfig, dimension: Int, metric: Metric) throws(CasebookError)
        -> any Embedder
    {
        switch config.kind {
        case "external":
            return ExternalVectors(config: config, dimension: dimension, metric: metric)
        case EmbedderConfig.hashedV1Kind, EmbedderConfig.hashedV2Kind:
            if config.isHybrid { return try HybridEmbedder(config: config, dimension: dimension, metric: metric) }
            return try HashedNGramEmbedder(config: config, dimension: dimension, metric: metric)
        default:
            throw .unsupportedConfiguration("embedder \"\(config.kind)\"")
        }
    }
}
