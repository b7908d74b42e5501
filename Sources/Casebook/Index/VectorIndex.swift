import Foundation

/// The interface of every index kind, after FAISS's single `Index`: a collection holds its index
/// through it (flat, or IVF), and every mutation, search and training goes through it.
///
/// Indexes are not thread-safe by themselves: the owning ``PrecedentCollection`` serialises mutations and
/// lets searches run concurrently under a read lock. Operations an index does not support throw
/// ``CasebookError/unsupportedConfiguration(_:)``; they never trap.
protocol VectorIndex: Sendable {
    var dimension: Int { get }
    var metric: Metric { get }
    /// Rows over all tenants.
    var count: Int { get }
    /// Rows of one tenant (0 for an unknown tenant).
    func count(tenant: TenantID) -> Int
    /// How many of a tenant's rows have a known outcome, and how many of those succeeded.
    func outcomeCounts(tenant: TenantID) -> OutcomeCounts
    /// Every tenant with at least one row, sorted.
    var tenants: [TenantID] { get }
    /// The configuration a collection stores for this index.
    var config: IndexConfig { get }
    /// Which index answered, for the match log: `flat`, `ivf-untrained`, or `ivf@<trainedAt>`.
    var version: String { get }
    /// Kind, training and drift, for `index info`.
    var info: IndexInfo { get }

    /// Where this index will file rows with these vectors: a trained IVF index's lists, stored
    /// with the rows so a reopen files them alike; nil when the index does not file rows (and then
    /// the vectors are not touched: a flat index's add must not pay for their concatenation).
    func placements(for vectors: [[Float]]) -> [Int32]?
    /// Adds rows (ids new for their tenant: the store has checked), at ``placements(for:)``.
    mutating func add(_ rows: [IndexedRow], placements: [Int32]?)
    /// Replaces the row with the same tenant and id.
    mutating func update(_ row: IndexedRow, placement: Int32?)
    /// Removes a row; false when absent.
    @discardableResult
    mutating func remove(tenant: TenantID, id: PrecedentID) -> Bool
    /// The stored vector of a row (read back from the store when the index keeps only its codes).
    func vector(tenant: TenantID, id: PrecedentID) throws(CasebookError) -> [Float]?
    /// The stored vectors of several rows of one tenant (absent ids left out), rows kept only as
    /// codes read back together rather than one store query each.
    func vectors(tenant: TenantID, ids: [PrecedentID]) throws(CasebookError) -> [PrecedentID: [Float]]
    /// Whether the tenant has a row with this id.
    func contains(tenant: TenantID, id: PrecedentID) -> Bool

    /// Throws only when rows kept as codes cannot be read back from the store.
    func search(_ query: IndexQuery) throws(CasebookError) -> IndexAnswer
    func search(batch: IndexBatchQuery) throws(CasebookError) -> [IndexAnswer]

    /// A new IVF index trained on every row of this one (which stays as it is, so searches go on
    /// against it), with what a store keeps of the training.
    func trained(
        _ parameters: IVFParameters, progress: (KMeans.Progress) -> Void
    ) throws(CasebookError) -> IndexTraining

    /// Checks that the index's parallel structures agree (tests call it after mutations).
    func _checkInvariants() -> Bool
}

/// A training's result: the new index and what is stored and reported of it.
struct IndexTraining: Sendable {
    var index: IVFIndex
    var quantizer: QuantizerState
    /// Every row's store key and list.
    var assignments: [(key: Int64, list: Int32)]
    var kmeans: KMeans.Result
    var pcaExplainedVariance: Double?
    /// Seconds spent training the quantizer, and filing the rows into their lists.
    var trainSeconds: Double
    var fileSeconds: Double
}

/// The index a new collection starts with. `storedRows` lets a flat index keep large slabs as codes only.
extension VectorIndex {
    func vectors(tenant: TenantID, ids: [PrecedentID]) throws(CasebookError) -> [PrecedentID: [Float]] {
        var vectors: [PrecedentID: [Float]] = [:]
        for id in ids { vectors[id] = try vector(tenant: tenant, id: id) }
        return vectors
    }
}

func makeIndex(for spec: CollectionSpec, storedRows: (any StoredVectorReader)? = nil) -> any VectorIndex {
    if spec.index.isIVF {
        return IVFIndex(dimension: spec.dimension, metric: spec.metric, parameters: spec.index.ivf ?? IVFParameters())
    }
    return FlatIndex(dimension: spec.dimension, metric: spec.metric, storedRows: storedRows)
}

/// One row as the index sees it: the vector (final for the metric) and the filterable fields.
struct IndexedRow: Sendable {
    var tenant: TenantID
    var id: PrecedentID
    /// Primary key of the row in the store.
    var key: Int64
    var vector: [Float]
    /// The values of ``PrecedentField/filterableTexts``, in that order.
    var texts: [String?]
    var tags: [String]
    var wasSuccessful: Bool?
    /// Seconds since 1970.
    var createdAt: Double
}

struct IndexQuery: Sendable {
    var tenant: TenantID
    var vector: [Float]
    var k: Int
    var filter: SearchFilter
    /// IVF: lists to probe (nil: the index's default). Flat ignores it.
    var nprobe: Int? = nil
    /// IVF: scan every list of the tenant.
    var exact = false
}

struct IndexBatchQuery: Sendable {
    var tenant: TenantID
    /// m query vectors, row-major m·d.
    var vectors: [Float]
    var k: Int
    var filter: SearchFilter
    /// IVF: lists each query probes (nil: the index's default). Flat ignores it.
    var nprobe: Int? = nil
    /// IVF: scan every list of the tenant.
    var exact = false
}

/// Hits best first, with whether they are the exact top-k.
struct IndexAnswer: Sendable {
    var hits: [IndexHit]
    var exact: Bool
    /// IVF lists scanned (0 for a flat scan).
    var probed = 0
}

struct IndexHit: Sendable, Hashable {
    var id: PrecedentID
    var key: Int64
    /// The metric's reported score (see ``Metric``).
    var score: Float
}
