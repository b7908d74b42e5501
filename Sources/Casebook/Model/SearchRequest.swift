/// One top-k query within one tenant.
public struct SearchRequest: Sendable, Hashable {
    public var tenant: TenantID
    public var k: Int
    /// The query vector, in the collection's space (normalised for you under cosine).
    public var vector: [Float]?
    /// Free text and structured context, for collections whose embedder featurizes them.
    public var text: String?
    public var context: [String: JSONValue]?
    public var filter: SearchFilter
    /// Whether results carry their full precedent (one indexed read of k rows).
    public var includePrecedents: Bool
    /// Whether each result says which features it shares with the query (featurizing embedders,
    /// text or context queries).
    public var explain: Bool
    /// IVF indexes: inverted lists to scan (nil: the collection's default). Refused on flat
    /// collections, which always scan everything.
    public var nprobe: Int?
    /// Scan every row of the tenant even on an IVF index.
    public var exact: Bool
    /// Who searches (an agent's or a user's name), for the match log.
    public var actor: String?
    /// The decision this search serves, for the match log and outcome statistics.
    public var decisionId: String?
    /// Whether the search is written to the match log (its `queryId` can then take uses).
    public var log: Bool
    /// Re-rank the candidates by their history (nil: rank by similarity alone).
    public var rerank: RerankOptions?
    /// The space `vector` is in (a model's name, as the collection's `spaceId`): refused when it is
    /// not the collection's. nil: not checked.
    public var spaceId: String?
    /// A hybrid collection searched with text or context and a vector: how much the featurizer's
    /// score counts, from 0 to 1 (nil: ``defaultLexicalWeight``); the model's counts the rest.
    public var lexicalWeight: Double?

    /// The weight of the lexical part when a hybrid search names none (benchmarks/RESULTS.md,
    /// Hybrid search).
    public static let defaultLexicalWeight = 0.5

    public init(
        tenant: TenantID, k: Int = 10, vector: [Float]? = nil, text: String? = nil,
        context: [String: JSONValue]? = nil, filter: SearchFilter = SearchFilter(),
        includePrecedents: Bool = true, explain: Bool = false, nprobe: Int? = nil, exact: Bool = false,
        actor: String? = nil, decisionId: String? = nil, log: Bool = true, rerank: RerankOptions? = nil,
        spaceId: String? = nil, lexicalWeight: Double? = nil
    ) {
        self.tenant = tenant
        self.k = k
        self.vector = vector
        self.text = text
        self.context = context
        self.filter = filter
        self.includePrecedents = includePrecedents
        self.explain = explain
        self.nprobe = nprobe
        self.exact = exact
        self.actor = actor
        self.decisionId = decisionId
        self.log = log
        self.rerank = rerank
        self.spaceId = spaceId
        self.lexicalWeight = lexicalWeight
    }

    /// Largest k accepted.
    public static let maxK = Limits.maxK
}

/// Many queries for one tenant with one filter, answered together (matrix-multiply path).
public struct BatchSearchRequest: Sendable, Hashable {
    public var tenant: TenantID
    public var k: Int
    public var vectors: [[Float]]
    public var filter: SearchFilter
    public var includePrecedents: Bool
    /// IVF collections: lists each query probes (nil: the collection's default).
    public var nprobe: Int?
    /// IVF collections: scan every list (exact answers).
    public var exact: Bool
    /// For the match log, as in ``SearchRequest``: every query of the batch is logged.
    public var actor: String?
    public var decisionId: String?
    public var log: Bool
    /// The space the vectors are in, as in ``SearchRequest/spaceId``.
    public var spaceId: String?

    public init(
        tenant: TenantID, k: Int = 10, vectors: [[Float]], filter: SearchFilter = SearchFilter(),
        includePrecedents: Bool = true, nprobe: Int? = nil, exact: Bool = false, actor: String? = nil,
        decisionId: String? = nil, log: Bool = true, spaceId: String? = nil
    ) {
        self.tenant = tenant
        self.k = k
        self.vectors = vectors
        self.filter = filter
        self.includePrecedents = includePrecedents
        self.nprobe = nprobe
        self.exact = exact
        self.actor = actor
        self.decisionId = decisionId
        self.log = log
        self.spaceId = spaceId
    }

    /// Largest number of queries in one batch.
    public static let maxQueries = Limits.maxBatchQueries
}
