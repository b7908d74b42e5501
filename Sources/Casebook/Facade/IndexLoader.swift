/// Fills each collection's flat index from the rows a store streams when a database opens.
struct IndexLoader: StoredRowSink {
    var indexes: [Int64: FlatIndex]
    /// Only these tenants' rows (nil: all).
    var shard: TenantShard? = nil

    func wants(tenant: TenantID) -> Bool { shard?.holds(tenant) ?? true }

    func accepts(collection: Int64) -> Bool { indexes[collection] != nil }

    func dimension(of collection: Int64) -> Int { indexes[collection]?.dimension ?? 0 }

    mutating func reserve(collection: Int64, sizes: [(tenant: TenantID, rows: Int)]) {
        indexes[collection]?.reserve(sizes)
    }

    mutating func add(_ row: StoredRow, vector: UnsafeRawBufferPointer) -> Bool {
        indexes[row.collection]!.addLoaded(
            tenant: row.tenant, id: row.id, key: row.key, vectorBytes: vector, texts: row.texts, tags: row.tags,
            wasSuccessful: row.wasSuccessful, createdAt: row.createdAt)
    }
}
