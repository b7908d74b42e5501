import Foundation

/// The interface of every index kind (flat now, IVF next), after FAISS's single `Index`.
///
/// Indexes are not thread-safe by themselves: the owning ``PrecedentCollection`` serialises mutations and
/// lets searches run concurrently under a read lock. Operations an index does not support throw
/// ``CasebookError/unsupportedConfiguration(_:)``; they never trap.
protocol VectorIndex: Sendable {
    var dimension: Int { get }
    var metric: Metric { get }
    /// Rows over all tenants.
    var count: Int { get }
    var isTrained: Bool { get }

    /// Rows of one tenant (0 for an unknown tenant).
    func count(tenant: TenantID) -> Int
    /// Every tenant with at least one row, sorted.
    var tenants: [TenantID] { get }

    mutating func train() throws(CasebookError)
    /// Adds rows; ids must be new for their tenant (the store has checked).
    mutating func add(_ rows: [IndexedRow])
    /// Replaces the row with the same tenant and id, keeping its position.
    mutating func update(_ row: IndexedRow)
    /// Removes a row; false when absent.
    @discardableResult
    mutating func remove(tenant: TenantID, id: PrecedentID) -> Bool
    mutating func reset()

    func search(_ query: IndexQuery) -> IndexAnswer
    func search(batch: IndexBatchQuery) -> [IndexAnswer]
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
