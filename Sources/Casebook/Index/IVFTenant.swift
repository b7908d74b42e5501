/// One tenant's rows in an IVF index: one slab while small (or untrained), else one per list.
struct IVFTenant: Sendable {
    var flat: TenantSlab
    var lists: [TenantSlab] = []
    /// Every row's list once the index is trained (flat rows too, so growing past the threshold
    /// files them without recomputing).
    var listOfID: [PrecedentID: Int32] = [:]
    private(set) var count = 0

    init(flat: TenantSlab) {
        self.flat = flat
        count = flat.count
    }

    var isListed: Bool { !lists.isEmpty }

    /// Appends to list `list`, or to the flat slab when `list` is −1.
    mutating func append(_ record: SlabRow, list: Int) {
        if list >= 0 { lists[list].append(record) } else { flat.append(record) }
        count += 1
    }

    mutating func remove(id: PrecedentID) -> Bool {
        if isListed, let list = listOfID[id] {
            guard let row = lists[Int(list)].row(of: id) else { return false }
            lists[Int(list)].remove(row: Int(row))
        } else {
            guard let row = flat.row(of: id) else { return false }
            flat.remove(row: Int(row))
        }
        listOfID[id] = nil
        count -= 1
        return true
    }

    func contains(_ id: PrecedentID) -> Bool {
        if isListed, let list = listOfID[id] { return lists[Int(list)].row(of: id) != nil }
        return flat.row(of: id) != nil
    }

    func vector(of id: PrecedentID) -> [Float]? {
        let slab = isListed ? listOfID[id].map { lists[Int($0)] } : flat
        guard let slab, let row = slab.row(of: id) else { return nil }
        let start = Int(row) * slab.dimension
        return slab.vectors.slice(start..<start + slab.dimension)
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
    var texts: [Int32]
    var success: Int8
    var createdAt: Double
    var tags: [Int32]
}

extension TenantSlab {
    func record(_ row: Int) -> SlabRow {
        let start = row * dimension
        return SlabRow(
            vector: vectors.slice(start..<start + dimension), key: keys[row], id: ids[row],
            texts: Array(textCodes[row * AttributeVocabulary.textWidth..<(row + 1) * AttributeVocabulary.textWidth]),
            success: successes[row], createdAt: createdAts[row], tags: tags[row])
    }

    mutating func append(_ record: SlabRow) {
        append(
            vector: record.vector, key: record.key, id: record.id, texts: record.texts,
            success: record.success, createdAt: record.createdAt, tags: record.tags)
    }
}
