import Synchronization

/// One committed write as the change feed records it: the nodes that follow a database apply it
/// to their indexes by reading the current state of the rows it names.
struct StoredChange: Sendable, Equatable {
    enum Kind: String, Sendable {
        /// A collection was created.
        case collection
        /// Precedents of one tenant were added or replaced (their ids).
        case upsert
        /// Precedents of one tenant were deleted (their ids).
        case delete
        /// A collection's IVF index was trained (its quantizer and every row's list changed), or its
        /// precedents re-embedded. With a tenant: that tenant's alone was re-embedded, changing the
        /// embedder's state, the tenant's vectors and its counts, and nothing else.
        case training
        /// A decision's outcome was recorded (the match log's statistics read it from the store).
        case outcome
    }

    /// 1, 2, 3, … in commit order, without gaps.
    var position: Int64
    var collection: Int64
    var kind: Kind
    /// The tenant of an upsert, delete or outcome (or of a one-tenant re-embedding).
    var tenant: TenantID?
    /// The precedents an upsert or delete touched.
    var ids: [PrecedentID]
    /// Their store keys (a delete's: the keys they had).
    var keys: [Int64] = []
    /// Written by this store instance (its process already applied it).
    var local = false
}

extension StoredChange {
    /// A batch's ids and keys by tenant, tenants in the order they first appear: a batch takes
    /// one feed row per tenant, so a follower reads each tenant's rows with one query.
    static func tenantGroups(_ items: [StoredPrecedent], keys: [Int64]) -> [(tenant: TenantID, ids: [PrecedentID], keys: [Int64])] {
        var order: [TenantID] = []
        var groups: [TenantID: (ids: [PrecedentID], keys: [Int64])] = [:]
        for (item, key) in zip(items, keys) {
            if groups[item.precedent.tenant] == nil { order.append(item.precedent.tenant) }
            groups[item.precedent.tenant, default: ([], [])].ids.append(item.id)
            groups[item.precedent.tenant]!.keys.append(key)
        }
        return order.map { (tenant: $0, ids: groups[$0]!.ids, keys: groups[$0]!.keys) }
    }
}

/// The feed positions a store instance committed itself, until its follower passes them: the
/// follower skips them, because the writer applied them to its indexes when it committed.
final class LocalChanges: Sendable {
    private let positions = Mutex<Set<Int64>>([])
    /// Beyond this many unclaimed positions (a process that writes and never follows) the set is
    /// emptied: its changes are then applied a second time, which changes nothing.
    private static let limit = 1_000_000

    func insert(_ committed: some Sequence<Int64>) {
        positions.withLock { set in
            if set.count > Self.limit { set.removeAll() }
            set.formUnion(committed)
        }
    }

    /// Whether `position` was committed here (claimed once).
    func claim(_ position: Int64) -> Bool {
        positions.withLock { $0.remove(position) != nil }
    }
}

/// A precedent as it is stored now, as a follower needs it to bring an index up to date.
struct CurrentRow: Sendable {
    var key: Int64
    var tenant: TenantID
    var id: PrecedentID
    var vector: [Float]
    /// The values of ``PrecedentField/filterableTexts``, in that order.
    var texts: [String?]
    var tags: [String]
    var wasSuccessful: Bool?
    var createdAt: Double
    /// Its IVF list, when its collection's index is trained.
    var list: Int32?
}

/// A precedent read by its store key (without its vector), with its time exactly as stored: an
/// index built from these rows files the time a reopened database would, which a `Date` does
/// not always give back to the last bit.
struct KeyedPrecedent: Sendable {
    var key: Int64
    var precedent: Precedent
    /// Unix seconds, as stored.
    var createdAt: Double
}
