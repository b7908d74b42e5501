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
    public static let maxDimension = Limits.maxDimension

    func validate() throws(CasebookError) {
        guard CollectionSpec.isValidName(name) else { throw .invalidCollectionName(name) }
        guard (1...CollectionSpec.maxDimension).contains(dimension) else {
            throw .invalidDimension(dimension, max: CollectionSpec.maxDimension)
        }
        try index.validate()
        if let reduced = index.ivf?.pcaDimension, reduced >= dimension {
            throw .invalidParameter("pcaDimension (\(reduced)) must be below the collection's dimension (\(dimension))")
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
    /// For external vectors (and a hybrid collection's external part): which model's space they
    /// come from (e.g. `minilm-l6-384`).
    public var spaceId: String?
    /// A hybrid collection: a hashed collection that also holds each precedent's vector from an
    /// external model, of this many dimensions. Its stored vector is the featurizer's and the
    /// model's, each of unit length, side by side and scaled by 1/√2; the collection's dimension
    /// is the sum of both.
    public var companionDimension: Int?
    /// For `hashed-v1` and `hashed-v2`: n-gram ranges, namespace weights and number buckets. The
    /// dimension is the collection's.
    public var hashed: HashedNGramParameters?
    /// For `hashed-v2`: the numeric fields' distributions its vectors were made with (none
    /// before the first fit: numbers are then bucketed as in hashed-v1).
    public var numericScales: NumericScales?

    public init(
        kind: String, spaceId: String? = nil, hashed: HashedNGramParameters? = nil, numericScales: NumericScales? = nil,
        companionDimension: Int? = nil
    ) {
        self.kind = kind
        self.spaceId = spaceId
        self.hashed = hashed
        self.numericScales = numericScales
        self.companionDimension = companionDimension
    }

    /// Whether precedents carry an external vector beside the featurizer's.
    public var isHybrid: Bool { isHashed && companionDimension != nil }

    /// Whether Casebook's featurizer embeds (either version).
    public var isHashed: Bool { kind == Self.hashedV1Kind || kind == Self.hashedV2Kind }

    /// The kind of the built-in featurizer, `hashed-v1` (``HashedNGramEmbedder`` embeds by it).
    /// The vector space a request names to be checked against (``CasebookError/wrongSpace(named:collection:)``):
    /// an external collection's `spaceId`, or the featurizer's version (`hashed-v1`).
    /// A hybrid collection's space is its external model's: that is what a request's vectors are in.
    public var space: String? { kind == Self.externalKind || isHybrid ? spaceId : kind }

    public static let hashedV1Kind = "hashed-v1"
    /// hashed-v1 with numbers placed on the collection's own distributions (``NumericScales``).
    public static let hashedV2Kind = "hashed-v2"
    /// The kind of vectors supplied by the client.
    public static let externalKind = "external"

    public static func external(spaceId: String? = nil) -> EmbedderConfig {
        EmbedderConfig(kind: externalKind, spaceId: spaceId)
    }

    /// The built-in featurizer, with default parameters unless given.
    public static func hashedV1(_ parameters: HashedNGramParameters = HashedNGramParameters()) -> EmbedderConfig {
        EmbedderConfig(kind: hashedV1Kind, hashed: parameters)
    }

    /// hashed-v2, with the scales fitted so far (none: numbers bucketed as in hashed-v1 until
    /// the first `reembed`), and hashed-v2's default parameters unless given.
    public static func hashedV2(
        _ parameters: HashedNGramParameters = .hashedV2Defaults, scales: NumericScales = NumericScales()
    ) -> EmbedderConfig {
        EmbedderConfig(kind: hashedV2Kind, hashed: parameters, numericScales: scales)
    }
}

/// Which index serves a collection, stored as JSON with the collection.
public struct IndexConfig: Sendable, Hashable, Codable {
    /// `flat` (exact) or `ivf` (inverted file; searched flat until trained).
    public var kind: String
    /// Parameters of an `ivf` index.
    public var ivf: IVFParameters?

    public init(kind: String, ivf: IVFParameters? = nil) {
        self.kind = kind
        self.ivf = ivf
    }

    public static let flat = IndexConfig(kind: "flat")

    public static func ivf(_ parameters: IVFParameters = IVFParameters()) -> IndexConfig {
        IndexConfig(kind: IVFParameters.kind, ivf: parameters)
    }

    var isIVF: Bool { kind == IVFParameters.kind }

    func validate() throws(CasebookError) {
        switch kind {
        case IndexConfig.flat.kind:
            guard ivf == nil else { throw .invalidParameter("IVF parameters given for a flat index") }
        case IVFParameters.kind:
            try (ivf ?? IVFParameters()).validate()
        default:
            throw .unsupportedConfiguration("index \"\(kind)\" (use flat or ivf)")
        }
    }
}

/// How an IVF index is trained and searched. Defaults were chosen by measurement
/// (benchmarks/RESULTS.md, "IVF").
public struct IVFParameters: Sendable, Hashable, Codable {
    static let kind = "ivf"

    /// Lists (k-means centroids). nil: chosen at training as 4·√rows, rounded to a power of two
    /// and kept between 16 and 65,536 (then stored).
    public var nlist: Int?
    /// Lists a query probes when it names none.
    public var nprobe: Int
    /// Tenants with fewer rows are searched exactly (one contiguous block): below this size a
    /// scan of the tenant costs about as little as ranking the centroids.
    public var flatThreshold: Int
    /// Training rows per list (a seeded random sample when the collection has more).
    public var sampleRowsPerList: Int
    /// Lloyd iterations.
    public var iterations: Int
    public var seed: UInt64
    /// Reduce vectors to this many principal components for the coarse quantizer (training,
    /// assignment and ranking of lists); the lists keep and scan the full vectors. nil: off.
    public var pcaDimension: Int?

    public init(
        nlist: Int? = nil, nprobe: Int = 8, flatThreshold: Int = 2_048, sampleRowsPerList: Int = 128,
        iterations: Int = 10, seed: UInt64 = 1, pcaDimension: Int? = nil
    ) {
        self.nlist = nlist
        self.nprobe = nprobe
        self.flatThreshold = flatThreshold
        self.sampleRowsPerList = sampleRowsPerList
        self.iterations = iterations
        self.seed = seed
        self.pcaDimension = pcaDimension
    }

    public static let maxLists = Limits.maxLists

    /// The nlist used for `rows` training vectors.
    func lists(forRows rows: Int) -> Int {
        if let nlist { return nlist }
        let wanted = 4 * Double(rows).squareRoot()
        var lists = 16
        while lists * 2 <= Int(wanted) && lists < IVFParameters.maxLists { lists *= 2 }
        return min(lists, max(1, rows))
    }

    func validate() throws(CasebookError) {
        if let nlist, !(1...IVFParameters.maxLists).contains(nlist) {
            throw .invalidParameter("nlist must be between 1 and \(IVFParameters.maxLists), got \(nlist)")
        }
        guard nprobe >= 1 else { throw .invalidParameter("nprobe must be at least 1, got \(nprobe)") }
        guard flatThreshold >= 0 else { throw .invalidParameter("flatThreshold must not be negative") }
        guard (1...65_536).contains(sampleRowsPerList) else {
            throw .invalidParameter("sampleRowsPerList must be between 1 and 65536, got \(sampleRowsPerList)")
        }
        guard (1...1_000).contains(iterations) else {
            throw .invalidParameter("iterations must be between 1 and 1000, got \(iterations)")
        }
        if let pcaDimension, pcaDimension < 1 {
            throw .invalidParameter("pcaDimension must be at least 1, got \(pcaDimension)")
        }
    }
}
