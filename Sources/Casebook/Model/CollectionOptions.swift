/// A new collection as a user names it: the flat options of `casebook init` and of the socket
/// API's `POST /v1/collections` body, turned into a ``CollectionSpec`` by one set of rules.
public struct CollectionOptions: Sendable, Hashable, Decodable {
    public var name: String
    /// `hashed-v1` (the default), `hashed-v2` or `external`.
    public var embedder: String?
    /// Required for external vectors; hashed-v1 defaults to ``HashedNGramEmbedder``'s 1,024.
    public var dim: Int?
    /// `cosine` (the default), `ip` or `l2`.
    public var metric: String?
    /// External vectors: the model space they come from.
    public var spaceId: String?
    /// `flat` (the default) or `ivf`.
    public var index: String?
    /// IVF only.
    public var nlist: Int?
    public var nprobe: Int?
    public var flatThreshold: Int?
    public var pca: Int?
    /// hashed-v1: `idf` (the default) or `none` (``QueryWeighting``).
    public var queryWeighting: String?
    /// A hybrid collection: the external model's dimension (its space is `spaceId`); `dim` is
    /// then the featurizer's.
    public var companionDim: Int?

    public init(
        name: String, embedder: String? = nil, dim: Int? = nil, metric: String? = nil, spaceId: String? = nil,
        index: String? = nil, nlist: Int? = nil, nprobe: Int? = nil, flatThreshold: Int? = nil, pca: Int? = nil,
        queryWeighting: String? = nil, companionDim: Int? = nil
    ) {
        self.name = name
        self.embedder = embedder
        self.dim = dim
        self.metric = metric
        self.spaceId = spaceId
        self.index = index
        self.nlist = nlist
        self.nprobe = nprobe
        self.flatThreshold = flatThreshold
        self.pca = pca
        self.queryWeighting = queryWeighting
        self.companionDim = companionDim
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, embedder, dim, metric, spaceId, index, nlist, nprobe, flatThreshold, pca, queryWeighting, companionDim
    }

    /// Dimension of a hashed-v1 collection when none is given; chosen by measurement
    /// (benchmarks/RESULTS.md, Embedding).
    public static let defaultHashedDimension = 1024

    /// The spec these options describe.
    /// - Throws: ``CasebookError/unsupportedConfiguration(_:)`` naming the option that does not fit.
    public func spec() throws(CasebookError) -> CollectionSpec {
        let embedder = embedder ?? EmbedderConfig.hashedV1Kind
        let external = embedder == EmbedderConfig.externalKind
        let hashedKinds = [EmbedderConfig.hashedV1Kind, EmbedderConfig.hashedV2Kind]
        guard hashedKinds.contains(embedder) || external else {
            throw .unsupportedConfiguration("embedder must be \(hashedKinds.joined(separator: ", ")) or external")
        }
        guard let metric = Metric(name: metric ?? "cosine") else {
            throw .unsupportedConfiguration("metric must be cosine, ip or l2")
        }
        if external, companionDim != nil {
            throw .unsupportedConfiguration("companionDim is for hashed collections (hybrid: featurizer and model)")
        }
        if let companionDim, !(1...CollectionSpec.maxDimension).contains(companionDim) {
            throw .unsupportedConfiguration("companionDim must be 1-\(CollectionSpec.maxDimension)")
        }
        if !external, companionDim == nil, spaceId != nil {
            throw .unsupportedConfiguration("spaceId is for external vectors only (or a hybrid collection's, with companionDim)")
        }
        if companionDim != nil, metric != .cosine {
            throw .unsupportedConfiguration("a hybrid collection uses the cosine metric")
        }
        if external, queryWeighting != nil {
            throw .unsupportedConfiguration("queryWeighting is for hashed collections")
        }
        guard let weighting = QueryWeighting(rawValue: queryWeighting ?? QueryWeighting.idf.rawValue) else {
            let names = QueryWeighting.allCases.map(\.rawValue).joined(separator: " or ")
            throw .unsupportedConfiguration("queryWeighting must be \(names)")
        }
        guard let featureDimension = dim ?? (external ? nil : Self.defaultHashedDimension) else {
            throw .unsupportedConfiguration("external vectors need dim (the model's dimension)")
        }
        let dimension = featureDimension + (companionDim ?? 0)
        var config = IndexConfig.flat
        switch index ?? "flat" {
        case "flat":
            let ivfOnly = [("nlist", nlist), ("nprobe", nprobe), ("flatThreshold", flatThreshold), ("pca", pca)]
            if let (option, _) = ivfOnly.first(where: { $0.1 != nil }) {
                throw .unsupportedConfiguration("\(option) is for an ivf index")
            }
        case IVFParameters.kind:
            var parameters = IVFParameters()
            parameters.nlist = nlist
            if let nprobe { parameters.nprobe = nprobe }
            if let flatThreshold { parameters.flatThreshold = flatThreshold }
            parameters.pcaDimension = pca
            config = .ivf(parameters)
        default:
            throw .unsupportedConfiguration("index must be flat or ivf")
        }
        return CollectionSpec(
            name: name, dimension: dimension, metric: metric,
            embedder: external
                ? .external(spaceId: spaceId)
                : EmbedderConfig(
                    kind: embedder, spaceId: spaceId, hashed: .defaults(for: embedder, queryWeighting: weighting),
                    numericScales: embedder == EmbedderConfig.hashedV2Kind ? NumericScales() : nil,
                    companionDimension: companionDim),
            index: config)
    }
}
