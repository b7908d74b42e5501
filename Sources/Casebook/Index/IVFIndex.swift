/// Inverted-file index: `nlist` centroids trained by ``KMeans`` on the collection's vectors; each
/// tenant's rows are held per list (one ``TenantSlab`` per list, contiguous float32), and a query
/// scans the `nprobe` lists nearest to it. Tenants smaller than `flatThreshold` rows keep a single
/// slab and are searched exactly, as is everything before training.
///
/// Storage and mutation live here; the search is in `IVFIndex+Search.swift`. Not yet wired into
/// collections (issue 5 in progress).
struct IVFIndex: VectorIndex {
    let dimension: Int
    let metric: Metric
    let nlist: Int
    /// Lists probed when a query names no nprobe.
    var defaultNprobe: Int
    /// Tenants with fewer rows are kept in one slab and searched exactly.
    let flatThreshold: Int
    /// nlist × dimension, row-major; empty until trained.
    private(set) var centroids: [Float] = []
    private(set) var tenantRows: [TenantID: IVFTenant] = [:]
    private(set) var vocabulary = AttributeVocabulary()
    /// Rows added since the last training (drift).
    private(set) var addedSinceTraining = 0
    var trainingParameters: KMeans.Parameters

    init(dimension: Int, metric: Metric, nlist: Int, nprobe: Int, flatThreshold: Int, seed: UInt64 = 1) {
        self.dimension = dimension
        self.metric = metric
        self.nlist = nlist
        self.defaultNprobe = nprobe
        self.flatThreshold = flatThreshold
        trainingParameters = KMeans.Parameters(clusters: nlist, spherical: metric != .l2, seed: seed)
    }

    var isTrained: Bool { !centroids.isEmpty }
    var count: Int { tenantRows.values.reduce(0) { $0 + $1.count } }
    var tenants: [TenantID] { tenantRows.filter { $0.value.count > 0 }.keys.sorted() }
    func count(tenant: TenantID) -> Int { tenantRows[tenant]?.count ?? 0 }

    mutating func reset() {
        tenantRows = [:]
        vocabulary = AttributeVocabulary()
        addedSinceTraining = 0
    }

    private func emptySlab() -> TenantSlab { TenantSlab(dimension: dimension, keepsNorms: metric == .l2) }

    // MARK: Training

    /// Trains the centroids on every row of every tenant, then files each large tenant's rows
    /// into their lists.
    mutating func train() throws(CasebookError) {
        let vectors = gatherVectors(tenantRows.keys.sorted())
        let rows = vectors.count / dimension
        guard rows >= nlist else {
            throw .invalidArgument("training \(nlist) lists needs at least \(nlist) vectors; the collection has \(rows)")
        }
        let result = try vectors.withUnsafeBufferPointer { buffer throws(CasebookError) in
            try KMeans.train(buffer.baseAddress!, rowCount: rows, dimension: dimension, parameters: trainingParameters)
        }
        try install(centroids: result.centroids)
    }

    /// Uses the given centroids (trained here or loaded) and refiles every tenant's rows.
    mutating func install(centroids: [Float]) throws(CasebookError) {
        guard centroids.count == nlist * dimension else {
            throw .invalidArgument("expected \(nlist) centroids of dimension \(dimension)")
        }
        self.centroids = centroids
        addedSinceTraining = 0
        // Every row of the tenants that get lists, assigned to its nearest centroid in one pass of
        // matrix products (one centroid scan per row cost seconds at 100,000 rows).
        let listed = tenantRows.keys.sorted().filter { tenantRows[$0]!.count >= flatThreshold }
        let vectors = gatherVectors(listed)
        var assignment = [Int32](repeating: 0, count: vectors.count / dimension)
        if !assignment.isEmpty {
            _ = KMeans.assign(
                vectors, rowCount: assignment.count, dimension: dimension, centroids: centroids, k: nlist,
                spherical: metric != .l2, into: &assignment)
        }
        var offset = 0
        for tenant in listed {
            let rows = tenantRows[tenant]!.count
            refile(tenant, lists: assignment[offset..<(offset + rows)])
            offset += rows
        }
        for tenant in tenantRows.keys where !listed.contains(tenant) { refile(tenant, lists: nil) }
    }

    /// The vectors of the given tenants, in their order and each tenant's row order.
    private func gatherVectors(_ tenants: [TenantID]) -> [Float] {
        var vectors: [Float] = []
        vectors.reserveCapacity(tenants.reduce(0) { $0 + (tenantRows[$1]?.count ?? 0) } * dimension)
        for tenant in tenants {
            tenantRows[tenant]?.forEachRow { slab, row in
                let start = row * dimension
                vectors.append(contentsOf: slab.vectors.slice(start..<start + dimension))
            }
        }
        return vectors
    }

    /// Moves a tenant's rows into its lists (`lists`: each row's list, in `forEachRow` order) or,
    /// given none, into one slab.
    private mutating func refile(_ tenant: TenantID, lists: ArraySlice<Int32>?) {
        guard let current = tenantRows.removeValue(forKey: tenant) else { return }
        var next = IVFTenant(flat: emptySlab())
        if lists != nil { next.lists = Array(repeating: emptySlab(), count: nlist) }
        var position = lists?.startIndex ?? 0
        current.forEachRow { slab, row in
            next.append(slab.record(row), list: lists.map { Int($0[position]) } ?? -1)
            position += 1
        }
        tenantRows[tenant] = next
    }

    // MARK: Mutation

    mutating func add(_ rows: [IndexedRow]) {
        var grown: Set<TenantID> = []
        for row in rows {
            let record = SlabRow(
                vector: row.vector, key: row.key, id: row.id, category: vocabulary.categoryCode(row.category),
                success: FlatIndex.successCode(row.wasSuccessful), createdAt: row.createdAt,
                tags: vocabulary.tagCodes(row.tags))
            let list = tenantRows[row.tenant]?.isListed == true ? nearestList(row.vector) : -1
            // In place: a tenant copied out of the dictionary and back would copy its slabs on
            // every append.
            if tenantRows[row.tenant] == nil { tenantRows[row.tenant] = IVFTenant(flat: emptySlab()) }
            tenantRows[row.tenant]!.append(record, list: list)
            if isTrained, tenantRows[row.tenant]!.isListed == false, tenantRows[row.tenant]!.count >= flatThreshold {
                grown.insert(row.tenant)
            }
        }
        if isTrained { addedSinceTraining += rows.count }
        for tenant in grown {
            var lists: [Int32] = []
            tenantRows[tenant]!.forEachRow { slab, row in lists.append(Int32(nearestList(slab, row: row))) }
            refile(tenant, lists: lists[...])
        }
    }

    mutating func update(_ row: IndexedRow) {
        remove(tenant: row.tenant, id: row.id)
        add([row])
        if isTrained { addedSinceTraining -= 1 }
    }

    @discardableResult
    mutating func remove(tenant: TenantID, id: PrecedentID) -> Bool {
        guard tenantRows[tenant]?.remove(id: id) == true else { return false }
        if tenantRows[tenant]!.count == 0 { tenantRows[tenant] = nil }
        return true
    }

    // MARK: Lists

    /// Similarities of `vector` to every centroid (dot for cosine and inner product, −‖x − c‖²
    /// for L2): larger is nearer.
    func centroidSimilarities(_ vector: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        centroids.withUnsafeBufferPointer { centroids in
            let isL2 = metric == .l2
            if ScanKernel.hasAVX2 {
                ScanKernel.scanAVX2(
                    query: vector, rows: centroids.baseAddress!, count: nlist, dimension: dimension,
                    negativeL2: isL2, into: out)
            } else {
                for c in 0..<nlist {
                    let centroid = centroids.baseAddress! + c * dimension
                    out[c] = isL2
                        ? -ScanKernel.squaredL2(vector, centroid, dimension: dimension)
                        : ScanKernel.dot(vector, centroid, dimension: dimension)
                }
            }
        }
    }

    func nearestList(_ vector: [Float]) -> Int {
        vector.withUnsafeBufferPointer { nearestList($0.baseAddress!) }
    }

    private func nearestList(_ slab: TenantSlab, row: Int) -> Int {
        slab.vectors.withUnsafeBufferPointer { nearestList($0.baseAddress! + row * dimension) }
    }

    private func nearestList(_ vector: UnsafePointer<Float>) -> Int {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: nlist) { scores in
            centroidSimilarities(vector, into: scores.baseAddress!)
            var best = 0
            for c in 1..<nlist where scores[c] > scores[best] { best = c }
            return best
        }
    }

    /// Largest list ÷ mean list size and empty lists, over all listed tenants (drift report).
    var listBalance: (imbalance: Double, emptyLists: Int, sizes: [Int]) {
        var sizes = [Int](repeating: 0, count: nlist)
        for tenant in tenantRows.values where tenant.isListed {
            for (list, slab) in tenant.lists.enumerated() { sizes[list] += slab.count }
        }
        let total = sizes.reduce(0, +)
        let mean = Double(total) / Double(max(1, nlist))
        return (total == 0 ? 0 : Double(sizes.max()!) / mean, sizes.filter { $0 == 0 }.count, sizes)
    }
}

/// One tenant's rows in an IVF index: one slab while small (or untrained), else one per list.
struct IVFTenant: Sendable {
    var flat: TenantSlab
    var lists: [TenantSlab] = []
    /// The list each row lives in (listed tenants only).
    var listOfID: [PrecedentID: Int32] = [:]
    private(set) var count = 0

    init(flat: TenantSlab) { self.flat = flat }

    var isListed: Bool { !lists.isEmpty }

    mutating func append(_ record: SlabRow, list: Int) {
        if list >= 0 {
            lists[list].append(record)
            listOfID[record.id] = Int32(list)
        } else {
            flat.append(record)
        }
        count += 1
    }

    mutating func remove(id: PrecedentID) -> Bool {
        if let list = listOfID[id] {
            guard let row = lists[Int(list)].row(of: id) else { return false }
            lists[Int(list)].remove(row: Int(row))
            listOfID[id] = nil
        } else {
            guard let row = flat.row(of: id) else { return false }
            flat.remove(row: Int(row))
        }
        count -= 1
        return true
    }

    /// Every row, flat slab first, then list by list.
    func forEachRow(_ body: (TenantSlab, Int) -> Void) {
        for row in 0..<flat.count { body(flat, row) }
        for slab in lists { for row in 0..<slab.count { body(slab, row) } }
    }
}

/// One row's contents, for moving it between slabs.
struct SlabRow: Sendable {
    var vector: [Float]
    var key: Int64
    var id: PrecedentID
    var category: Int32
    var success: Int8
    var createdAt: Double
    var tags: [Int32]
}

extension TenantSlab {
    func record(_ row: Int) -> SlabRow {
        let start = row * dimension
        return SlabRow(
            vector: vectors.slice(start..<start + dimension), key: keys[row], id: ids[row],
            category: categories[row], success: successes[row], createdAt: createdAts[row], tags: tags[row])
    }

    mutating func append(_ record: SlabRow) {
        append(
            vector: record.vector, key: record.key, id: record.id, category: record.category,
            success: record.success, createdAt: record.createdAt, tags: record.tags)
    }
}
