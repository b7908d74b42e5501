/// Inverted-file index: an ``IVFQuantizer`` (nlist centroids trained by ``KMeans`` on the
/// collection's vectors) decides each row's list; each tenant's rows are held per list (one
/// ``TenantSlab`` per list, contiguous float32), and a query scans the `nprobe` lists nearest to it.
/// Tenants smaller than `flatThreshold` rows keep a single slab and are searched exactly, as is
/// everything before training. Every row of a trained index knows its list, flat tenants' rows
/// too, so a tenant that grows past the threshold is filed without recomputing.
///
/// Storage, training and mutation live here; the search is in `IVFIndex+Search.swift`.
struct IVFIndex: VectorIndex {
    let dimension: Int
    let metric: Metric
    var parameters: IVFParameters
    private(set) var quantizer: IVFQuantizer?
    private(set) var tenantRows: [TenantID: IVFTenant] = [:]
    private(set) var vocabulary = AttributeVocabulary()
    /// Rows added since the last training (drift).
    var addedSinceTraining = 0
    /// Cells (one slab per list per listed tenant) the index may open: ``Limits/maxOpenCells``,
    /// lowered by tests. Each costs memory even when empty, so many tenants × a large nlist (or
    /// flatThreshold 0) would otherwise exhaust it.
    var maxOpenCells = Limits.maxOpenCells
    /// Tenants whose rows are held per list.
    private(set) var listedTenantCount = 0
    /// The last training's record (collections set it; nil in bare indexes and before training).
    var training: IndexTrainingReport?

    init(dimension: Int, metric: Metric, parameters: IVFParameters) {
        self.dimension = dimension
        self.metric = metric
        self.parameters = parameters
    }

    /// Tests' shorthand.
    init(dimension: Int, metric: Metric, nlist: Int, nprobe: Int, flatThreshold: Int, seed: UInt64 = 1) {
        self.init(
            dimension: dimension, metric: metric,
            parameters: IVFParameters(nlist: nlist, nprobe: nprobe, flatThreshold: flatThreshold, seed: seed))
    }

    /// Takes over a flat index's rows (untrained, or filed by `quantizer` using each row's stored
    /// list, found by key; a row without one is assigned afresh). Consumes the flat index tenant by
    /// tenant, so memory peaks at one tenant's copy, not the whole index's.
    init(adopting flat: consuming FlatIndex, parameters: IVFParameters, quantizer: IVFQuantizer?, lists: ListAssignments?) {
        self.init(dimension: flat.dimension, metric: flat.metric, parameters: parameters)
        self.quantizer = quantizer
        vocabulary = flat.vocabulary
        var slabs = flat.takeSlabs()
        for tenant in slabs.keys.sorted() {
            let slab = slabs.removeValue(forKey: tenant)!
            var adopted = IVFTenant(flat: slab)
            if let quantizer {
                var missing: [Int] = []
                for row in 0..<slab.count {
                    if let list = lists?.list(of: slab.keys[row]), list >= 0, Int(list) < quantizer.nlist {
                        adopted.listOfID[slab.ids[row]] = list
                    } else {
                        missing.append(row)
                    }
                }
                for row in missing {
                    adopted.listOfID[slab.ids[row]] = Int32(slab.vectors.withUnsafeBufferPointer {
                        quantizer.nearestList($0.baseAddress! + row * dimension)
                    })
                }
            }
            tenantRows[tenant] = adopted
            if quantizer != nil { refile(tenant) }
        }
    }

    var isTrained: Bool { quantizer != nil }
    /// Lists of the trained quantizer (0 before training).
    var nlist: Int { quantizer?.nlist ?? 0 }
    var defaultNprobe: Int { parameters.nprobe }
    var flatThreshold: Int { parameters.flatThreshold }
    var count: Int { tenantRows.values.reduce(0) { $0 + $1.count } }
    var tenants: [TenantID] { tenantRows.filter { $0.value.count > 0 }.keys.sorted() }
    func count(tenant: TenantID) -> Int { tenantRows[tenant]?.count ?? 0 }

    func outcomeCounts(tenant: TenantID) -> OutcomeCounts {
        guard let rows = tenantRows[tenant] else { return OutcomeCounts() }
        return rows.lists.reduce(rows.flat.outcomeCounts) { $0 + $1.outcomeCounts }
    }

    var config: IndexConfig { .ivf(parameters) }
    var version: String { training.map { "ivf@\(Int($0.trainedAt))" } ?? "ivf-untrained" }

    var info: IndexInfo {
        var info = IndexInfo(kind: config.kind, trained: isTrained, rows: count)
        info.parameters = parameters
        info.training = training
        info.addedSinceTraining = addedSinceTraining
        guard isTrained else { return info }
        let balance = listBalance
        let sizes = balance.sizes.sorted()
        info.nlist = nlist
        info.listImbalance = balance.imbalance
        info.emptyLists = balance.emptyLists
        info.smallestList = sizes.first
        info.medianList = sizes[sizes.count / 2]
        info.largestList = sizes.last
        let kinds = tenantKinds
        info.listedTenants = kinds.listed
        info.flatTenants = kinds.flat
        info.tenantsOverCellLimit = kinds.overCellLimit
        return info
    }

    /// A trained index's lists for the vectors (nil before training).
    func placements(for vectors: [[Float]]) -> [Int32]? {
        quantizer.map { quantizer in quantizer.assign(vectors.count == 1 ? vectors[0] : vectors.flatMap { $0 }) }
    }

    private func emptySlab() -> TenantSlab { TenantSlab(dimension: dimension, keepsNorms: metric == .l2) }

    /// Whether list slabs keep half-precision copies for `HalfScan` (dot-product metrics on CPUs
    /// with the kernel).
    var listsKeepHalves: Bool { metric != .l2 && HalfScan.hasKernel }

    private func emptyListSlab() -> TenantSlab {
        TenantSlab(dimension: dimension, keepsNorms: metric == .l2, keepsHalves: listsKeepHalves)
    }

    // MARK: Training

    /// Trains a quantizer on every row and files the rows by it, in place.
    mutating func train() throws(CasebookError) {
        self = try trained(parameters, progress: { _ in }).index
    }

    /// A copy trained with `parameters` on every row, every row filed into its list.
    func trained(
        _ parameters: IVFParameters, progress: (KMeans.Progress) -> Void
    ) throws(CasebookError) -> IndexTraining {
        var next = self
        next.parameters = parameters
        let clock = ContinuousClock()
        let start = clock.now
        let vectors = next.allVectors().vectors
        let result = try IVFIndex.trainQuantizer(
            vectors, dimension: dimension, metric: metric, parameters: parameters, progress: progress)
        let fileStart = clock.now
        let assignments = next.install(result.quantizer, vectors: vectors)
        return IndexTraining(
            index: next, quantizer: result.quantizer.state, assignments: assignments, kmeans: result.kmeans,
            pcaExplainedVariance: result.pcaExplainedVariance, trainSeconds: (fileStart - start).seconds,
            fileSeconds: (clock.now - fileStart).seconds)
    }

    /// Trains the centroids (and the PCA, when configured) on `vectors` (row-major).
    static func trainQuantizer(
        _ vectors: [Float], dimension: Int, metric: Metric, parameters: IVFParameters,
        progress: (KMeans.Progress) -> Void = { _ in }
    ) throws(CasebookError) -> (quantizer: IVFQuantizer, kmeans: KMeans.Result, pcaExplainedVariance: Double?) {
        let rows = vectors.count / dimension
        let nlist = parameters.lists(forRows: rows)
        guard rows >= nlist, rows > 0 else {
            throw .training("training \(nlist) lists needs at least \(nlist) vectors; the collection has \(rows)")
        }
        var kmeans = KMeans.Parameters(clusters: nlist, spherical: metric != .l2, seed: parameters.seed)
        kmeans.iterations = parameters.iterations
        kmeans.sampleRowsPerCluster = parameters.sampleRowsPerList
        var pca: PCA?
        var space = vectors
        if let reduced = parameters.pcaDimension {
            // The PCA is fitted on the same kind of sample k-means trains on.
            var random = SplitMix64(seed: parameters.seed ^ 0x9E37_79B9_7F4A_7C15)
            let sample = vectors.withUnsafeBufferPointer {
                KMeans.sample($0.baseAddress!, rowCount: rows, dimension: dimension, size: nlist * parameters.sampleRowsPerList, random: &random)
            }
            pca = try sample.withUnsafeBufferPointer { sample throws(CasebookError) in
                try PCA.fit(sample.baseAddress!, rowCount: sample.count / dimension, dimension: dimension, outputDimension: reduced)
            }
            var out = [Float](repeating: 0, count: rows * reduced)
            vectors.withUnsafeBufferPointer { input in
                out.withUnsafeMutableBufferPointer { pca!.apply(rows: input.baseAddress!, rowCount: rows, into: $0.baseAddress!) }
            }
            space = out
        }
        let width = pca?.outputDimension ?? dimension
        let result = try space.withUnsafeBufferPointer { buffer throws(CasebookError) in
            try KMeans.train(buffer.baseAddress!, rowCount: rows, dimension: width, parameters: kmeans, progress: progress)
        }
        let quantizer = try IVFQuantizer(
            centroids: result.centroids, nlist: nlist, dimension: dimension, spherical: metric != .l2, pca: pca)
        return (quantizer, result, pca?.explainedShare)
    }

    /// Uses `quantizer` (trained here or elsewhere) and refiles every row by it. Returns each row's
    /// store key and list.
    /// `vectors`: ``allVectors()`` when the caller already has them.
    @discardableResult
    mutating func install(_ quantizer: IVFQuantizer, vectors known: [Float]? = nil) -> [(key: Int64, list: Int32)] {
        self.quantizer = quantizer
        addedSinceTraining = 0
        // Every row assigned in one pass of matrix products (one centroid scan per row cost
        // seconds at 100,000 rows).
        let order = tenantRows.keys.sorted()
        let vectors = known ?? allVectors().vectors
        let assignment = quantizer.assign(vectors)
        var filed: [(key: Int64, list: Int32)] = []
        filed.reserveCapacity(assignment.count)
        var position = 0
        for tenant in order {
            var listOfID: [PrecedentID: Int32] = [:]
            listOfID.reserveCapacity(tenantRows[tenant]!.count)
            tenantRows[tenant]!.forEachRow { slab, row in
                listOfID[slab.ids[row]] = assignment[position]
                filed.append((slab.keys[row], assignment[position]))
                position += 1
            }
            tenantRows[tenant]!.listOfID = listOfID
            refile(tenant)
        }
        return filed
    }

    /// Every row's vector (tenants in sorted order, each in `forEachRow` order) and that order.
    func allVectors() -> (vectors: [Float], tenants: [TenantID]) {
        let tenants = tenantRows.keys.sorted()
        var vectors: [Float] = []
        vectors.reserveCapacity(count * dimension)
        for tenant in tenants {
            tenantRows[tenant]!.forEachRow { slab, row in
                let start = row * dimension
                vectors.append(contentsOf: slab.vectors.slice(start..<start + dimension))
            }
        }
        return (vectors, tenants)
    }

    /// Files a tenant's rows by their recorded lists: per list when it is at or above the
    /// threshold (and the index is trained), else in one slab.
    private mutating func refile(_ tenant: TenantID) {
        guard let current = tenantRows.removeValue(forKey: tenant) else { return }
        var listed = quantizer != nil && current.count >= flatThreshold
        // Past the cell limit a tenant keeps its one slab: searched exactly, never refused. Checked
        // for listed tenants too, since a retraining may have raised nlist.
        let othersListed = listedTenantCount - (current.isListed ? 1 : 0)
        if listed, (othersListed + 1) * quantizer!.nlist > maxOpenCells { listed = false }
        guard listed || current.isListed else {
            tenantRows[tenant] = current
            return
        }
        listedTenantCount += (listed ? 1 : 0) - (current.isListed ? 1 : 0)
        var next = IVFTenant(flat: emptySlab())
        next.listOfID = current.listOfID
        if listed { next.lists = Array(repeating: emptyListSlab(), count: quantizer!.nlist) }
        current.forEachRow { slab, row in
            next.append(slab.record(row), list: listed ? Int(current.listOfID[slab.ids[row]]!) : -1)
        }
        tenantRows[tenant] = next
    }

    // MARK: Mutation

    /// Adds rows, assigning each to its nearest list when trained.
    mutating func add(_ rows: [IndexedRow]) {
        add(rows, placements: placements(for: rows.map(\.vector)))
    }

    /// Adds rows whose lists the caller has computed (and stored) with this index's quantizer.
    mutating func add(_ rows: [IndexedRow], placements lists: [Int32]?) {
        var grown: Set<TenantID> = []
        for (position, row) in rows.enumerated() {
            let record = SlabRow(
                vector: row.vector, key: row.key, id: row.id, texts: vocabulary.textCodes(row.texts),
                success: FlatIndex.successCode(row.wasSuccessful), createdAt: row.createdAt,
                tags: vocabulary.tagCodes(row.tags))
            let list = quantizer == nil ? nil : lists?[position]
            // In place: a tenant copied out of the dictionary and back would copy its slabs on
            // every append.
            if tenantRows[row.tenant] == nil { tenantRows[row.tenant] = IVFTenant(flat: emptySlab()) }
            if let list { tenantRows[row.tenant]!.listOfID[row.id] = list }
            let listed = tenantRows[row.tenant]!.isListed
            tenantRows[row.tenant]!.append(record, list: listed ? Int(list!) : -1)
            if quantizer != nil, !listed, tenantRows[row.tenant]!.count >= flatThreshold { grown.insert(row.tenant) }
        }
        if quantizer != nil { addedSinceTraining += rows.count }
        for tenant in grown { refile(tenant) }
    }

    mutating func update(_ row: IndexedRow) {
        update(row, placement: quantizer.map { q in row.vector.withUnsafeBufferPointer { Int32(q.nearestList($0.baseAddress!)) } })
    }

    mutating func update(_ row: IndexedRow, placement list: Int32?) {
        remove(tenant: row.tenant, id: row.id)
        add([row], placements: list.map { [$0] })
        if quantizer != nil { addedSinceTraining -= 1 }
    }

    @discardableResult
    mutating func remove(tenant: TenantID, id: PrecedentID) -> Bool {
        guard tenantRows[tenant]?.remove(id: id) == true else { return false }
        if tenantRows[tenant]!.count == 0 {
            if tenantRows[tenant]!.isListed { listedTenantCount -= 1 }
            tenantRows[tenant] = nil
        }
        return true
    }

    // MARK: Reports

    /// Rows per list over all tenants (listed and flat), largest list ÷ mean, empty lists.
    var listBalance: (imbalance: Double, emptyLists: Int, sizes: [Int]) {
        guard let quantizer else { return (0, 0, []) }
        var sizes = [Int](repeating: 0, count: quantizer.nlist)
        for tenant in tenantRows.values { for list in tenant.listOfID.values { sizes[Int(list)] += 1 } }
        let total = sizes.reduce(0, +)
        let mean = Double(total) / Double(quantizer.nlist)
        return (total == 0 ? 0 : Double(sizes.max()!) / mean, sizes.filter { $0 == 0 }.count, sizes)
    }

    /// Tenants searched through lists, those searched flat, and of those the ones large enough
    /// to be listed that the cell limit keeps flat.
    var tenantKinds: (listed: Int, flat: Int, overCellLimit: Int) {
        let overLimit = quantizer == nil ? 0 : tenantRows.values.filter { !$0.isListed && $0.count >= flatThreshold }.count
        return (listedTenantCount, tenantRows.count - listedTenantCount, overLimit)
    }

    /// The stored vector of a row.
    func vector(tenant: TenantID, id: PrecedentID) -> [Float]? { tenantRows[tenant]?.vector(of: id) }

    func contains(tenant: TenantID, id: PrecedentID) -> Bool { tenantRows[tenant]?.contains(id) ?? false }

    func _checkInvariants() -> Bool {
        guard listedTenantCount == tenantRows.values.filter(\.isListed).count,
            listedTenantCount * nlist <= maxOpenCells
        else { return false }
        return tenantRows.values.allSatisfy { tenant in
            guard tenant.flat._checkInvariants(), tenant.lists.allSatisfy({ $0._checkInvariants() }) else { return false }
            let stored = tenant.flat.count + tenant.lists.reduce(0) { $0 + $1.count }
            guard stored == tenant.count else { return false }
            if quantizer != nil, tenant.listOfID.count != tenant.count { return false }
            for (list, slab) in tenant.lists.enumerated() {
                for id in slab.ids where tenant.listOfID[id] != Int32(list) { return false }
            }
            return true
        }
    }
}
