/// Where a flat index reads back the float32 rows it keeps only as int8 codes (see
/// ``TenantSlab/dropFloats()``). The facade passes one that reads its store: the index knows no store.
protocol StoredVectorReader: Sendable {
    /// Whether the rows are read from this machine (a database file), as available as the index
    /// itself; false across a network, where a read can wait or fail while the database is away.
    var isLocal: Bool { get }

    /// Calls `body` once for each of `keys` still stored, in any order, with its vector's bytes in
    /// either of ``VectorBlob``'s layouts (valid only during the call). A key not passed is deleted.
    func forEachVector(keys: [Int64], _ body: (Int64, UnsafeRawBufferPointer) -> Void) throws(CasebookError)
}

/// A slab's float32 rows read back through a ``StoredVectorReader``, each checked against the
/// slab's codes: a row whose stored vector no longer codes to them was rewritten since the index saw
/// it (a write not yet applied here, or a re-embedding being switched), and the float32 vector the
/// codes stand for is gone.
enum StoredRows {
    /// Keys per read: one statement per chunk, and a bounded buffer when every row is read.
    static let chunk = 512

    /// Calls `body(row, vector, current)` for each of `rows` whose key is still stored; `current`
    /// is whether the stored vector still codes to the row's codes. A stored vector of neither
    /// layout is ``CasebookError/storage(code:message:)``.
    static func read(
        _ rows: UnsafeBufferPointer<Int32>, of slab: TenantSlab, reader: any StoredVectorReader,
        _ body: (_ row: Int32, _ vector: UnsafePointer<Float>, _ current: Bool) -> Void
    ) throws(CasebookError) {
        let d = slab.dimension
        var malformed: Int64?
        try withUnsafeTemporaryAllocation(of: Float.self, capacity: max(d, 1)) { vector throws(CasebookError) in
            try withUnsafeTemporaryAllocation(of: Int8.self, capacity: max(d, 1)) { codes throws(CasebookError) in
                var start = 0
                while start < rows.count {
                    let part = rows[start..<min(rows.count, start + chunk)]
                    var rowOfKey: [Int64: Int32] = [:]
                    rowOfKey.reserveCapacity(part.count)
                    for row in part { rowOfKey[slab.keys[Int(row)]] = row }
                    try reader.forEachVector(keys: Array(rowOfKey.keys)) { key, bytes in
                        guard let row = rowOfKey[key] else { return }
                        guard VectorBlob.decodeStored(bytes, dimension: d, into: vector.baseAddress!) else {
                            malformed = key
                            return
                        }
                        body(row, vector.baseAddress!, slab.codesMatch(row: Int(row), vector: vector.baseAddress!, scratch: codes.baseAddress!))
                    }
                    start += chunk
                }
            }
        }
        if let malformed { throw .storage(code: 11, message: "row \(malformed) has a vector of the wrong length") }
    }
}
