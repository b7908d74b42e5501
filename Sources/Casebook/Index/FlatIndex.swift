/// Exact search: every query scans all of its tenant's rows.
///
/// Storage and mutation live here; the scans are in `FlatIndex+Search.swift` and
/// `FlatIndex+BatchSearch.swift`. A value type: the owning ``PrecedentCollection`` keeps it under a
/// read-write lock, so searches share it and a mutation is seen whole or not at all.
struct FlatIndex: VectorIndex {
    let dimension: Int
    let metric: Metric
    private(set) var slabs: [TenantID: TenantSlab] = [:]
    private(set) var vocabulary = AttributeVocabulary()
    /// Where rows kept only as codes are read back; nil keeps every slab's float32 rows.
    let storedRows: (any StoredVectorReader)?
    /// Bytes of float32 rows the small slabs may keep in all (see ``init(dimension:metric:storedRows:floatBudget:)``).
    let floatBudget: Int
    /// Rows held in float32, in the slabs that keep them.
    private(set) var floatRows = 0
    /// Set once the small slabs' float32 rows would pass ``floatBudget``: from then on every slab,
    /// whatever its size, keeps codes only.
    private(set) var codesOnlyEverywhere = false

    /// `storedRows`: a tenant's slab of at least ``CodedScan/minimumRows`` rows then keeps only its
    /// int8 codes (a quarter of the memory), and its searches read the rows they re-score from there.
    /// Smaller slabs keep their float32 rows (one pass over them is faster than two) until those
    /// would take more than `floatBudget` bytes in all: many small tenants then cost what one
    /// large tenant of as many rows does, and every slab keeps codes only. Without a budget, one is
    /// set only where the rows are read back locally (``CodedScan/floatBudget``): a node of a
    /// database across the network answers small tenants from memory, and so goes on answering
    /// them while the database is unreachable.
    init(
        dimension: Int, metric: Metric, storedRows: (any StoredVectorReader)? = nil, floatBudget: Int? = nil
    ) {
        self.dimension = dimension
        self.metric = metric
        self.storedRows = storedRows
        self.floatBudget = floatBudget ?? (storedRows?.isLocal == true ? CodedScan.floatBudget : .max)
    }

    /// Whether slabs let their float32 rows go once they reach ``CodedScan/minimumRows`` (or the
    /// budget is spent).
    private var dropsFloats: Bool { storedRows != nil && metric != .l2 && CodedScan.hasKernel && CodedScan.dropsFloats }

    /// Whether a slab reaching `rows` rows keeps only its codes.
    private func dropsFloats(reaching rows: Int) -> Bool {
        dropsFloats && (codesOnlyEverywhere || rows >= CodedScan.minimumRows)
    }

    /// Turns every slab to codes only when the float32 rows of `arriving` (rows per tenant), in the
    /// slabs they leave under ``CodedScan/minimumRows``, would pass the budget.
    private mutating func spendFloatBudget(on arriving: some Sequence<(tenant: TenantID, rows: Int)>) {
        guard dropsFloats, !codesOnlyEverywhere else { return }
        let incoming = arriving.reduce(0) { total, next in
            total + (count(tenant: next.tenant) + next.rows < CodedScan.minimumRows ? next.rows : 0)
        }
        guard (floatRows + incoming) * dimension * MemoryLayout<Float>.size > floatBudget else { return }
        codesOnlyEverywhere = true
        for tenant in slabs.keys {
            let dropped = FlatIndex.mutate(&slabs[tenant]!) { slab in FlatIndex.dropFloats(of: &slab, if: true) }
            floatRows -= dropped
        }
    }

    var count: Int { slabs.values.reduce(0) { $0 + $1.count } }
    var tenants: [TenantID] { slabs.filter { $0.value.count > 0 }.keys.sorted() }

    func count(tenant: TenantID) -> Int { slabs[tenant]?.count ?? 0 }

    func outcomeCounts(tenant: TenantID) -> OutcomeCounts { slabs[tenant]?.outcomeCounts ?? OutcomeCounts() }

    var config: IndexConfig { .flat }
    var version: String { "flat" }
    var info: IndexInfo { IndexInfo(kind: config.kind, trained: true, rows: count) }

    /// A flat index files nothing: a row's place is its tenant's slab.
    func placements(for vectors: [[Float]]) -> [Int32]? { nil }

    mutating func add(_ rows: [IndexedRow], placements: [Int32]?) { add(rows) }

    mutating func update(_ row: IndexedRow, placement: Int32?) { update(row) }

    /// Becomes an IVF index: its rows taken over (those kept as codes read back first), then trained.
    func trained(
        _ parameters: IVFParameters, progress: (KMeans.Progress) -> Void
    ) throws(CasebookError) -> IndexTraining {
        var copy = self
        try copy.restoreFloats()
        return try IVFIndex(adopting: copy, parameters: parameters, quantizer: nil, lists: nil).trained(parameters, progress: progress)
    }

    /// Reads back the float32 rows of every slab keeping only codes (the store's vectors now).
    private mutating func restoreFloats() throws(CasebookError) {
        let d = dimension
        for tenant in slabs.keys.sorted() where !slabs[tenant]!.keepsFloats {
            guard let storedRows else { preconditionFailure("a slab without float32 rows and no reader") }
            let slab = slabs[tenant]!
            var rows = FloatStorage()
            rows.appendZeros(slab.count * d)
            var read = 0
            let all = Array(0..<Int32(slab.count))
            try all.withUnsafeBufferPointer { all throws(CasebookError) in
                try StoredRows.read(all, of: slab, reader: storedRows) { row, vector, _ in
                    rows.replace(at: Int(row) * d, with: UnsafeBufferPointer(start: vector, count: d))
                    read += 1
                }
            }
            guard read == slab.count else {
                throw .storage(code: 11, message: "\(slab.count - read) rows of the index are no longer stored; reopen and retry")
            }
            slabs[tenant]!.restoreFloats(rows)
            floatRows += slab.count
        }
    }

    private func emptySlab() -> TenantSlab {
        TenantSlab(dimension: dimension, keepsNorms: metric == .l2, keepsCodes: metric != .l2 && CodedScan.hasKernel)
    }

    mutating func add(_ rows: [IndexedRow]) {
        // Group by tenant first, so each slab is looked up once per batch, not once per row.
        var groups: [TenantID: [Int]] = [:]
        for (position, row) in rows.enumerated() { groups[row.tenant, default: []].append(position) }
        spendFloatBudget(on: groups.lazy.map { ($0.key, $0.value.count) })
        let empty = emptySlab()
        for (tenant, positions) in groups {
            // The group's text codes in one block (a row's are a slice of it): no array per row.
            let width = AttributeVocabulary.textWidth
            var textCodes: [Int32] = []
            textCodes.reserveCapacity(positions.count * width)
            var tagCodes: [[Int32]] = []
            tagCodes.reserveCapacity(positions.count)
            for position in positions {
                for (field, value) in rows[position].texts.enumerated() {
                    textCodes.append(vocabulary.textCode(field, value))
                }
                tagCodes.append(vocabulary.tagCodes(rows[position].tags))
            }
            let drops = dropsFloats(reaching: count(tenant: tenant) + positions.count)
            let (dropped, keepsFloats) = FlatIndex.mutate(&slabs[tenant, default: empty]) { slab in
                // Grown past the threshold: the rows go before the batch's are copied in.
                let dropped = FlatIndex.dropFloats(of: &slab, if: drops)
                slab.reserve(positions.count)
                for (offset, position) in positions.enumerated() {
                    let row = rows[position]
                    slab.append(
                        vector: row.vector, key: row.key, id: row.id, texts: textCodes[offset * width..<(offset + 1) * width],
                        success: FlatIndex.successCode(row.wasSuccessful), createdAt: row.createdAt,
                        tags: tagCodes[offset])
                }
                return (dropped, slab.keepsFloats)
            }
            floatRows += (keepsFloats ? positions.count : 0) - dropped
        }
    }

    /// Makes room for each tenant's rows before they arrive (loading knows the counts up front);
    /// a slab that will keep only codes lets its float32 rows go first, and when the small slabs'
    /// rows would pass the budget, every slab does.
    mutating func reserve(_ sizes: [(tenant: TenantID, rows: Int)]) {
        spendFloatBudget(on: sizes)
        let empty = emptySlab()
        for (tenant, rows) in sizes {
            let drops = dropsFloats(reaching: count(tenant: tenant) + rows)
            floatRows -= FlatIndex.mutate(&slabs[tenant, default: empty]) { slab in
                let dropped = FlatIndex.dropFloats(of: &slab, if: drops)
                slab.reserve(rows)
                return dropped
            }
        }
    }

    /// Lets a slab's float32 rows go when `drops` and its codes can serve every scan; how many
    /// float32 rows went.
    private static func dropFloats(of slab: inout TenantSlab, if drops: Bool) -> Int {
        guard drops, slab.keepsFloats, slab.hasUsableCodes else { return 0 }
        slab.dropFloats()
        return slab.count
    }

    /// Adds a row straight from stored bytes (database loading); false when the BLOB is malformed.
    mutating func addLoaded(
        tenant: TenantID, id: PrecedentID, key: Int64, vectorBytes: UnsafeRawBufferPointer,
        texts: [String?], tags: [String], wasSuccessful: Bool?, createdAt: Double
    ) -> Bool {
        let tagCodes = vocabulary.tagCodes(tags)
        // Loading has reserved every tenant's slab; creating one here is the rare fallback (an
        // empty slab allocates, so it is not built per row as a `default:`).
        if slabs[tenant] == nil { slabs[tenant] = emptySlab() }
        let keepsFloats = slabs[tenant]!.keepsFloats
        // The row's text codes on the stack: loading adds a million rows without a heap block each.
        let added = withUnsafeTemporaryAllocation(of: Int32.self, capacity: texts.count) { codes in
            for field in texts.indices { codes[field] = vocabulary.textCode(field, texts[field]) }
            let d = dimension
            return FlatIndex.mutate(&slabs[tenant]!) { slab in
                guard slab.keepsFloats else {
                    // Decoded aside for its codes only.
                    return withUnsafeTemporaryAllocation(of: Float.self, capacity: max(d, 1)) { vector in
                        guard VectorBlob.decodeStored(vectorBytes, dimension: d, into: vector.baseAddress!) else { return false }
                        slab.append(
                            codedRow: vector.baseAddress!, key: key, id: id, texts: UnsafeBufferPointer(codes),
                            success: FlatIndex.successCode(wasSuccessful), createdAt: createdAt, tags: tagCodes)
                        return true
                    }
                }
                guard slab.appendVector(storedBytes: vectorBytes) else { return false }
                slab.append(
                    vector: nil, key: key, id: id, texts: UnsafeBufferPointer(codes),
                    success: FlatIndex.successCode(wasSuccessful), createdAt: createdAt, tags: tagCodes)
                return true
            }
        }
        if added, keepsFloats { floatRows += 1 }
        return added
    }

    mutating func update(_ row: IndexedRow) {
        guard let position = slabs[row.tenant]?.row(of: row.id) else {
            add([row])
            return
        }
        let texts = vocabulary.textCodes(row.texts)
        let tags = vocabulary.tagCodes(row.tags)
        slabs[row.tenant]!.replace(
            row: Int(position), vector: row.vector, texts: texts,
            success: FlatIndex.successCode(row.wasSuccessful), createdAt: row.createdAt, tags: tags)
    }

    @discardableResult
    mutating func remove(tenant: TenantID, id: PrecedentID) -> Bool {
        guard let position = slabs[tenant]?.row(of: id) else { return false }
        if slabs[tenant]!.keepsFloats { floatRows -= 1 }
        slabs[tenant]!.remove(row: Int(position))
        if slabs[tenant]!.count == 0 { slabs[tenant] = nil }
        return true
    }

    /// Hands over every tenant's slab, leaving the index empty (an IVF index adopting the rows).
    mutating func takeSlabs() -> [TenantID: TenantSlab] {
        defer {
            slabs = [:]
            floatRows = 0
        }
        return slabs
    }

    func contains(tenant: TenantID, id: PrecedentID) -> Bool { slabs[tenant]?.row(of: id) != nil }

    /// The stored vector of a row (for updates that keep it); one kept only as codes is read back.
    func vector(tenant: TenantID, id: PrecedentID) throws(CasebookError) -> [Float]? {
        guard let slab = slabs[tenant], let row = slab.row(of: id) else { return nil }
        guard slab.keepsFloats else {
            guard let storedRows else { preconditionFailure("a slab without float32 rows and no reader") }
            var vector: [Float]?
            try [row].withUnsafeBufferPointer { rows throws(CasebookError) in
                try StoredRows.read(rows, of: slab, reader: storedRows) { _, stored, _ in
                    vector = Array(UnsafeBufferPointer(start: stored, count: dimension))
                }
            }
            return vector
        }
        let start = Int(row) * dimension
        return slab.vectors.slice(start..<start + dimension)
    }

    func vectors(tenant: TenantID, ids: [PrecedentID]) throws(CasebookError) -> [PrecedentID: [Float]] {
        guard let slab = slabs[tenant] else { return [:] }
        guard !slab.keepsFloats else {
            var vectors: [PrecedentID: [Float]] = [:]
            for id in ids { vectors[id] = try vector(tenant: tenant, id: id) }
            return vectors
        }
        guard let storedRows else { preconditionFailure("a slab without float32 rows and no reader") }
        let rows = ids.compactMap { slab.row(of: $0) }
        var vectors: [PrecedentID: [Float]] = [:]
        try rows.withUnsafeBufferPointer { rows throws(CasebookError) in
            try StoredRows.read(rows, of: slab, reader: storedRows) { row, stored, _ in
                vectors[slab.ids[Int(row)]] = Array(UnsafeBufferPointer(start: stored, count: dimension))
            }
        }
        return vectors
    }

    static func successCode(_ value: Bool?) -> Int8 {
        switch value {
        case nil: return -1
        case false?: return 0
        case true?: return 1
        }
    }

    /// Mutates a dictionary value in place (no copy of the slab's arrays).
    private static func mutate<T>(_ slab: inout TenantSlab, _ body: (inout TenantSlab) -> T) -> T {
        body(&slab)
    }

    func _checkInvariants() -> Bool {
        slabs.values.allSatisfy { $0._checkInvariants() }
            && floatRows == slabs.values.reduce(0) { $0 + ($1.keepsFloats ? $1.count : 0) }
    }
}
