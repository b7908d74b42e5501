/// What a collection is: one vector space. Vectors of different collections never mix.
public struct CollectionSpec: Sendable, Hashable, Codable {
    public var name: String
    public var dimension: Int
    public var metric: Metric
    public var embedder: EmbedderConfig
    public var index: IndexConfig

    public init(
        name: String, dimension: Int, metric: Metric = .cosine,
        embedder: EmbedderConfig = .external(), index: IndexConfig = .flat
    ) {
        self.name = name
        self.dimension = dimension
        self.metric = metric
        self.embedder = embedder
        self.index = index
    }

    /// Largest dimension accepted: 16,384 floats is 64 KiB per vector.
    public static let maxDimension = 16_384

    func validate() throws(CasebookError) {
        guard CollectionSpec.isValidName(name) else { throw .invalidCollectionName(name) }
        guard (1...CollectionSpec.maxDimension).contains(dimension) else {
            throw .invalidDimension(dimension, max: CollectionSpec.maxDimension)
        }
    }

    /// Names are 1-64 characters of letters, digits, `-`, `_` and `.`, so they are safe in paths,
    /// URLs and log lines.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.unicodeScalars.allSatisfy {
                ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)))
                    || $0 == "-" || $0 == "_" || $0 == "."
            }
    }
}

/// How a collection turns precedents into vectors, stored as JSON with the collection.
public struct EmbedderConfig: Sendable, Hashable, Codable {
    /// `external` (vectors supplied by the client), or a featurizer name with its version, such as
    /// `hashed-v1`.
    public var kind: String
    /// For external vectors: which model's space they come from (e.g. `minilm-l6-384`).
    public var spaceId: String?
    /// For `hashed-v1`: n-gram ranges, namespace weights and number buckets. The dimension is the
    /// collection's.
    public var hashed: HashedNGramParameters?

    public init(kind: String, spaceId: String? = nil, hashed: HashedNGramParameters? = nil) {
        self.kind = kind
        self.spaceId = spaceId
        self.hashed = hashed
    }

    public static func external(spaceId: String? = nil) -> EmbedderConfig {
        EmbedderConfig(kind: "external", spaceId: spaceId)
    }

    /// The built-in featurizer, with default parameters unless given.
    public static func hashedV1(_ parameters: HashedNGramParameters = HashedNGramParameters()) -> EmbedderConfig {
        EmbedderConfig(kind: HashedNGramEmbedder.version, hashed: parameters)
    }
}

/// Which index serves a collection, stored as JSON with the collection.
public struct IndexConfig: Sendable, Hashable, Codable {
    /// `flat` (exact). `ivf` arrives with its own issue.
    public var kind: String

    public init(kind: String) { self.kind = kind }

    public static let flat = IndexConfig(kind: "flat")
}
