/// The index a collection serves from: flat, or IVF (searched flat until trained). One value
/// under the collection's read-write lock, so a search sees one index whole.
enum CollectionIndex: Sendable {
    case flat(FlatIndex)
    case ivf(IVFIndex)
    /// Only while a payload is being mutated in place (see `mutate`); never observed by a reader.
    case moving

    /// A new collection's index.
    static func empty(_ spec: CollectionSpec) -> CollectionIndex {
        if spec.index.isIVF {
            return .ivf(IVFIndex(dimension: spec.dimension, metric: spec.metric, parameters: spec.index.ivf ?? IVFParameters()))
        }
        return .flat(FlatIndex(dimension: spec.dimension, metric: spec.metric))
    }

    var config: IndexConfig {
        switch self {
        case .flat, .moving: return .flat
        case .ivf(let index): return .ivf(index.parameters)
        }
    }

    /// Which index answered, for the match log: `flat`, `ivf-untrained`, or `ivf@<trainedAt>`
    /// (Unix seconds of the training).
    var version: String {
        switch self {
        case .flat, .moving: return "flat"
        case .ivf(let index): return index.training.map { "ivf@\(Int($0.trainedAt))" } ?? "ivf-untrained"
        }
    }

    var isIVF: Bool {
        if case .ivf = self { return true }
        return false
    }

    var ivf: IVFIndex? {
        if case .ivf(let index) = self { return index }
        return nil
    }

    /// The trained quantizer that files new rows (nil: flat, or IVF before training).
    var quantizer: IVFQuantizer? { ivf?.quantizer }

    private var index: any VectorIndex {
        switch self {
        case .flat(let index): return index
        case .ivf(let index): return index
        case .moving: preconditionFailure("index read while being mutated")
        }
    }

    var count: Int { index.count }
    var tenants: [TenantID] { index.tenants }
    func count(tenant: TenantID) -> Int { index.count(tenant: tenant) }

    func search(_ query: IndexQuery) -> IndexAnswer {
        switch self {
        case .flat(let index): return index.search(query)
        case .ivf(let index): return index.search(query)
        case .moving: preconditionFailure("index read while being mutated")
        }
    }

    func search(batch: IndexBatchQuery) -> [IndexAnswer] {
        switch self {
        case .flat(let index): return index.search(batch: batch)
        case .ivf(let index): return index.search(batch: batch)
        case .moving: preconditionFailure("index read while being mutated")
        }
    }

    /// The stored vector of a row.
    func vector(tenant: TenantID, id: PrecedentID) -> [Float]? {
        switch self {
        case .flat(let index): return index.vector(tenant: tenant, id: id)
        case .ivf(let index): return index.vector(tenant: tenant, id: id)
        case .moving: return nil
        }
    }

    func _checkInvariants() -> Bool {
        switch self {
        case .flat(let index): return index._checkInvariants()
        case .ivf(let index): return index._checkInvariants()
        case .moving: return false
        }
    }

    /// `lists`: the rows' lists from ``quantizer`` (trained IVF only).
    mutating func add(_ rows: [IndexedRow], lists: [Int32]?) {
        mutate(flat: { $0.add(rows) }, ivf: { $0.add(rows, lists: lists) })
    }

    mutating func update(_ row: IndexedRow, list: Int32?) {
        mutate(flat: { $0.update(row) }, ivf: { $0.update(row, list: list) })
    }

    mutating func remove(tenant: TenantID, id: PrecedentID) {
        mutate(flat: { _ = $0.remove(tenant: tenant, id: id) }, ivf: { _ = $0.remove(tenant: tenant, id: id) })
    }

    /// Mutates the payload in place: `self` is emptied first, so the payload is uniquely held and
    /// its arrays are not copied on write.
    private mutating func mutate(flat: (inout FlatIndex) -> Void, ivf: (inout IVFIndex) -> Void) {
        switch self {
        case .flat(var index):
            self = .moving
            flat(&index)
            self = .flat(index)
        case .ivf(var index):
            self = .moving
            ivf(&index)
            self = .ivf(index)
        case .moving:
            preconditionFailure("index mutated while being mutated")
        }
    }
}
