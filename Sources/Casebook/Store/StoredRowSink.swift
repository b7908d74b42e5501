/// One stored precedent as an index needs it when a database opens (its vector comes beside it,
/// as bytes).
struct StoredRow {
    var collection: Int64
    /// The store's key for the row (SQLite: `precedent.pk`), ascending in load order.
    var key: Int64
    var tenant: TenantID
    var id: PrecedentID
    /// The values of ``PrecedentField/filterableTexts``, in that order.
    var texts: [String?]
    var tags: [String]
    var wasSuccessful: Bool?
    /// Unix seconds.
    var createdAt: Double
}

/// Where a store streams every stored row when a database opens: straight from the store's
/// buffers, no `[Float]` per row. A store knows nothing of indexes; the facade's sink fills them.
protocol StoredRowSink {
    /// Whether a collection of this id exists (a row naming another is corrupt).
    func accepts(collection: Int64) -> Bool
    /// A collection's vector dimension, for error messages.
    func dimension(of collection: Int64) -> Int
    /// Whether rows of `tenant` are wanted at all (a node holding one shard of the tenants); the
    /// store skips the others without reading their vectors.
    func wants(tenant: TenantID) -> Bool
    /// Room for each wanted tenant's rows in `collection`, all given at once before the rows
    /// arrive (an index sizes its storage by the whole collection).
    mutating func reserve(collection: Int64, sizes: [(tenant: TenantID, rows: Int)])
    /// One row with its vector in either of ``VectorBlob``'s layouts, valid only during the call;
    /// false when the bytes are neither layout for the collection's dimension.
    mutating func add(_ row: StoredRow, vector: UnsafeRawBufferPointer) -> Bool
}

extension StoredRowSink {
    /// Every (collection, tenant, rows) count a store read, the wanted ones given to ``reserve(collection:sizes:)``
    /// a collection at a time.
    mutating func reserve(_ counts: some Sequence<(collection: Int64, tenant: TenantID, rows: Int)>) {
        var wanted: [Int64: [(tenant: TenantID, rows: Int)]] = [:]
        for count in counts where accepts(collection: count.collection) && wants(tenant: count.tenant) {
            wanted[count.collection, default: []].append((count.tenant, count.rows))
        }
        for (collection, sizes) in wanted { reserve(collection: collection, sizes: sizes) }
    }
}
