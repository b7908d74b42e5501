/// A flat index's way back to the float32 rows it keeps only as codes: the store's vectors by key.
struct StoreVectorReader: StoredVectorReader {
    let store: any CasebookStore

    var isLocal: Bool { store.isLocal }

    func forEachVector(keys: [Int64], _ body: (Int64, UnsafeRawBufferPointer) -> Void) throws(CasebookError) {
        try store.forEachVector(keys: keys, body)
    }
}
