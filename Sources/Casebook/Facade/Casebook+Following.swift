import Foundation
import Synchronization

/// Following the store's change feed: what other processes (other Casebook nodes on one
/// PostgreSQL database, or another process writing the same SQLite file) committed, applied to
/// this instance's indexes in commit order.
///
/// A change names rows; applying it reads their current stored state (present: added or
/// replaced; absent: removed), under the collection's writer lock, which this instance's own
/// writes also hold from their commit until their rows are in the index. The indexes therefore
/// converge on the database whatever the interleaving, and applying a change twice changes
/// nothing. This instance's own changes are skipped: they were applied when they committed.
extension Casebook {
    struct Following: Sendable {
        /// The last feed position applied.
        var position: Int64
        /// The collections this instance was opened with (nil: all, and new ones as they appear).
        var subset: Set<String>?
        var follower: ChangeFollower?
    }

    /// Changes read per round trip.
    static let changesPerRead = 1_000

    /// How long the change feed keeps a row: a process away for longer (its connection lost)
    /// reloads everything when it is back, instead of applying the changes one by one.
    public static let changeRetention: TimeInterval = 7 * 24 * 3_600

    /// The change feed position this instance has applied.
    public var appliedChangePosition: Int64 { following.withLock { $0.position } }

    /// Applies every change committed after ``appliedChangePosition``; returns how many.
    /// - Throws: ``CasebookError/storageUnavailable(_:)`` while the database is unreachable
    ///   (what was applied stays applied; the next call goes on from there).
    @discardableResult
    public func catchUp() throws(CasebookError) -> Int {
        try following.withLock { state throws(CasebookError) -> Int in
            var applied = 0
            while true {
                let changes = try store.changes(after: state.position, limit: Self.changesPerRead)
                // Positions have no gaps: a missing one was pruned while this instance was away,
                // and only a full reload brings it up to date.
                if let first = changes.first, first.position > state.position + 1 {
                    try reloadAll(&state)
                    applied += 1
                    continue
                }
                // Tenants whose feature counts other processes changed: read once per page.
                var counted: [Int64: Set<TenantID>] = [:]
                for change in changes {
                    if !change.local {
                        try apply(change, subset: state.subset)
                        if change.kind == .upsert || change.kind == .delete, let tenant = change.tenant {
                            counted[change.collection, default: []].insert(tenant)
                        }
                    }
                    state.position = change.position
                    applied += 1
                }
                for (id, tenants) in counted { try collection(id: id)?.reloadFrequencies(of: tenants) }
                if changes.count < Self.changesPerRead { return applied }
            }
        }
    }

    /// Follows the feed on a background thread until this instance is released or
    /// ``stopFollowingChanges()`` is called: woken by the database's notifications (PostgreSQL)
    /// or every 100 ms (SQLite), and at least every `interval`.
    public func startFollowingChanges(interval: Duration = .seconds(1)) {
        following.withLock { state in
            guard state.follower == nil else { return }
            state.follower = ChangeFollower(casebook: self, interval: interval)
        }
    }

    /// Why the latest attempt to follow the feed failed (the database unreachable, say); nil while
    /// following works or when it is not running.
    public var followingError: CasebookError? {
        following.withLock { $0.follower }?.lastError.withLock { $0 }
    }

    public func stopFollowingChanges() {
        let follower = following.withLock { state in
            defer { state.follower = nil }
            return state.follower
        }
        follower?.stop()
    }

    private func apply(_ change: StoredChange, subset: Set<String>?) throws(CasebookError) {
        switch change.kind {
        case .outcome:
            return
        case .collection:
            guard registry.withLock({ $0.values.contains { $0.recordID == change.collection } }) == false,
                let record = try store.collections().first(where: { $0.id == change.collection }),
                subset == nil || subset!.contains(record.spec.name)
            else { return }
            // Its rows arrive through the changes that follow this one.
            try register(
                record, index: makeIndex(for: record.spec, storedRows: StoreVectorReader(store: store)),
                stateAsOf: change.position)
        case .upsert, .delete:
            guard let collection = collection(id: change.collection), let tenant = change.tenant,
                shard?.holds(tenant) ?? true
            else { return }
            try collection.applyStoredRows(tenant: tenant, ids: change.ids)
        case .training:
            guard let collection = collection(id: change.collection) else { return }
            // One tenant re-embedded alone: its rows, its counts and the embedder's state, read
            // before the writer lock, so that writes to other tenants wait only for the refiling.
            // This instance's writes to that tenant are refused as stale until then; rows others
            // write after the read come later in the feed.
            if let tenant = change.tenant {
                guard let record = try store.collections().first(where: { $0.id == change.collection }) else { return }
                let stored = try EmbedderFactory.make(
                    config: record.spec.embedder, dimension: record.spec.dimension, metric: record.spec.metric)
                let refit = try collection.storedRefit(of: tenant, embedder: stored)
                collection.writer.withLock { _ in
                    collection.adoptRefit(of: [tenant], rows: refit.rows, counts: refit.counts, embedder: stored)
                    collection.advanceState(to: change.position)
                }
                return
            }
            try collection.writer.withLock { _ throws(CasebookError) in
                guard let record = try store.collections().first(where: { $0.id == change.collection }) else { return }
                let loaded = try Self.loadIndexes(store: store, records: [record], subset: [record.id], shard: shard)
                // A training, or a re-embedding: the stored embedder may be new too.
                try collection.adoptStored(record, index: loaded.indexes[record.id]!)
                collection.advanceState(to: change.position)
            }
        }
    }

    /// Every loaded collection's index read anew, with the feed position it reflects. Holds every
    /// collection's writer lock meanwhile, so that no write of this instance commits after the
    /// snapshot and is then replaced by it (its change, being local, would be skipped).
    private func reloadAll(_ state: inout Following) throws(CasebookError) {
        let held = registry.withLock { Array($0.values) }.sorted { $0.recordID < $1.recordID }
        func locked(_ remaining: ArraySlice<PrecedentCollection>) throws(CasebookError) {
            guard let first = remaining.first else {
                var records = try store.collections().filter { state.subset?.contains($0.spec.name) ?? true }
                let loaded = try Self.loadIndexes(store: store, records: records, subset: records.map(\.id), shard: shard)
                records = try Self.reread(records, store: store)
                for record in records {
                    if let collection = collection(id: record.id) {
                        try collection.adoptStored(record, index: loaded.indexes[record.id]!)
                        collection.advanceState(to: loaded.position)
                    } else {
                        try register(record, index: loaded.indexes[record.id]!, stateAsOf: loaded.position)
                    }
                }
                state.position = loaded.position
                return
            }
            try first.writer.withLock { _ throws(CasebookError) in try locked(remaining.dropFirst()) }
        }
        try locked(held[...])
    }

    /// Makes a collection another process created reachable here (unless one of its name already is).
    private func register(_ record: StoredCollection, index: any VectorIndex, stateAsOf: Int64) throws(CasebookError) {
        let collection = try PrecedentCollection(
            spec: record.spec, recordID: record.id, store: store, matchLog: matchLog, index: index, shard: shard,
            stateAsOf: stateAsOf, feed: feedLink)
        registry.withLock { $0[record.spec.name] = $0[record.spec.name] ?? collection }
    }

    private func collection(id: Int64) -> PrecedentCollection? {
        registry.withLock { $0.values.first { $0.recordID == id } }
    }
}

extension PrecedentCollection {
    /// Brings the index's rows of these ids of one tenant to their stored state.
    func applyStoredRows(tenant: TenantID, ids: [PrecedentID]) throws(CasebookError) {
        try writer.withLock { _ throws(CasebookError) in
            let rows = try store.currentRows(collection: recordID, tenant: tenant, ids: ids, dimension: createdSpec.dimension)
            index.write { index in Self.file(rows, of: tenant, ids: Set(ids), into: &index) }
        }
    }

    /// Brings the index's rows of `ids` to `rows`, their stored state: an id without a row is
    /// removed.
    static func file(_ rows: [CurrentRow], of tenant: TenantID, ids: Set<PrecedentID>, into index: inout any VectorIndex) {
        var stored: [PrecedentID: CurrentRow] = [:]
        for row in rows { stored[row.id] = row }
        for id in ids {
            guard let row = stored[id] else {
                index.remove(tenant: tenant, id: id)
                continue
            }
            let indexed = IndexedRow(
                tenant: tenant, id: id, key: row.key, vector: row.vector, texts: row.texts, tags: row.tags,
                wasSuccessful: row.wasSuccessful, createdAt: row.createdAt)
            // A trained index files the row where the database says; a row stored before the
            // training this index has, by this index's own quantizer.
            let placement = row.list ?? index.placements(for: [row.vector])?.first
            if index.contains(tenant: tenant, id: id) {
                index.update(indexed, placement: placement)
            } else {
                index.add([indexed], placements: placement.map { [$0] })
            }
        }
    }
}

/// The thread that keeps a ``Casebook`` following its store's change feed. It also prunes feed
/// rows older than ``Casebook/changeRetention`` about once an hour (any node may: deleting what
/// another already deleted changes nothing).
final class ChangeFollower: Sendable {
    private let stopped = Atomic<Bool>(false)
    /// The last failure to catch up (nil after a success), for health reports.
    let lastError = Mutex<CasebookError?>(nil)

    init(casebook: Casebook, interval: Duration) {
        let thread = Thread { [weak casebook, self] in
            var nextPrune = Date()
            while !self.stopped.load(ordering: .relaxed) {
                guard let casebook else { return }
                if Date() >= nextPrune {
                    _ = try? casebook.store.pruneChanges(before: Date().addingTimeInterval(-Casebook.changeRetention))
                    nextPrune = Date().addingTimeInterval(3_600)
                }
                casebook.store.waitForChanges(after: casebook.appliedChangePosition, timeout: interval)
                if self.stopped.load(ordering: .relaxed) { return }
                do throws(CasebookError) {
                    try casebook.catchUp()
                    self.lastError.withLock { $0 = nil }
                } catch {
                    self.lastError.withLock { $0 = error }
                    // Unreachable: try again after a pause rather than spin.
                    Thread.sleep(forTimeInterval: 0.2)
                }
            }
        }
        thread.name = "casebook.follow"
        thread.start()
    }

    func stop() { stopped.store(true, ordering: .relaxed) }
}
