/// What a training of a collection's IVF index did, stored with the index (`ivf_index.training`).
public struct IndexTrainingReport: Sendable, Hashable, Codable {
    public var nlist: Int
    /// Rows of the collection when it was trained (all of them were filed).
    public var rows: Int
    /// Rows k-means trained on (a seeded sample when the collection is larger).
    public var sampleRows: Int
    public var iterations: Int
    public var seed: UInt64
    /// Principal components the quantizer works in (nil: full vectors).
    public var pcaDimension: Int?
    /// Share of the variance those components hold.
    public var pcaExplainedVariance: Double?
    /// Mean squared distance of the training rows to their centroid, first and last iteration.
    public var initialObjective: Double
    public var finalObjective: Double
    /// Seconds spent: k-means (and PCA), filing every row, and writing to the database (known
    /// only after the record itself was written, so nil in the stored record and in `index info`).
    public var trainSeconds: Double
    public var fileSeconds: Double
    public var storeSeconds: Double?
    /// Seconds since 1970.
    public var trainedAt: Double
    /// Recall@10 of the trained index on a sample of its own rows, by lists probed (nil when no
    /// tenant is listed, or for a training stored before it was measured).
    public var recall: RecallEstimate?
    /// The default nprobe stored with the training (chosen by a target recall, or kept); nil in
    /// trainings stored before it was recorded.
    public var nprobe: Int?
}

/// The state of a collection's index: `casebook index info`.
public struct IndexInfo: Sendable, Hashable, Codable {
    /// `flat` or `ivf`.
    public var kind: String
    public var trained: Bool
    public var rows: Int
    /// IVF only (nil for flat).
    public var parameters: IVFParameters?
    public var nlist: Int?
    public var addedSinceTraining: Int?
    /// Rows per list over all tenants, largest ÷ mean (1 is perfectly even).
    public var listImbalance: Double?
    public var emptyLists: Int?
    public var smallestList: Int?
    public var medianList: Int?
    public var largestList: Int?
    /// Tenants searched through lists, and those searched flat (below the threshold).
    public var listedTenants: Int?
    public var flatTenants: Int?
    /// Tenants past the threshold kept flat by ``Limits/maxOpenCells``.
    public var tenantsOverCellLimit: Int?
    public var training: IndexTrainingReport?
}

/// A trained IVF index's recall@k on a sample of its own rows, by lists probed
/// (``IndexTrainingReport/recall``).
public struct RecallEstimate: Sendable, Hashable, Codable {
    public var k: Int
    /// Rows searched, each as its own query (the query its text and context make, in a collection
    /// Casebook embeds; else its vector), itself left out of both answers.
    public var sampleRows: Int
    /// nprobe 1, 2, 4, … below nlist.
    public var points: [NprobeRecall]
    /// Seconds the measurement took.
    public var seconds: Double

    /// The fewest lists that reached `recall` (nil: none below nlist did).
    public func nprobe(reaching recall: Double) -> Int? { points.first { $0.recall >= recall }?.nprobe }

    /// The recall measured at `nprobe` (or at the largest nprobe measured below it).
    public func recall(at nprobe: Int) -> Double? { points.last { $0.nprobe <= nprobe }?.recall }
}

public struct NprobeRecall: Sendable, Hashable, Codable {
    public var nprobe: Int
    public var recall: Double
}
