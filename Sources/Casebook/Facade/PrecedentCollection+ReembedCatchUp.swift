import Foundation

/// What a re-embedding switches to, brought up to the writes made while it read and embedded:
/// this process's (it holds no lock meanwhile) and other processes' (other nodes, `casebook add`
/// on the same file). Without it, writes would have to wait for the whole re-embedding, or the
/// switch be refused whenever one touched a tenant being re-embedded, and a tenant that is
/// written to all the time could never be refitted. It runs under the writer lock, so this
/// process's writes cannot land after it; the switch still refuses another process's
/// write that lands after the last catch-up (milliseconds before it), with nothing written.
extension PrecedentCollection {
    /// Rounds of catching up before the switch; each takes what was written during the previous.
    static let reembedCatchUpRounds = 3

    /// The new state of a re-embedding before its switch: the rows read (keys ascending within a
    /// tenant), each one's new vector in its stored layout and IVF list, and each tenant's counts.
    struct Rewrite: Sendable {
        var rows: [KeyedPrecedent]
        var vectors: [(key: Int64, stored: Data)]
        var lists: [Int32]?
        var frequencies: [TenantID: FeatureFrequencies]
    }

    /// Takes into `rewrite` every upsert and delete of the collection (of `tenants`, or any)
    /// committed after feed position `since`, as the rows are now, embedded by `newEmbedder`: a
    /// changed row's vector, list and counts are those of its new version, a new row is added, a
    /// deleted one taken out. Returns the feed position caught up to (the switch's
    /// `unchangedSince`) and the rows taken in, by tenant.
    func catchUp(
        _ rewrite: inout Rewrite, since: Int64, tenants: Set<TenantID>?, newEmbedder: any Embedder
    ) throws(CasebookError) -> (position: Int64, touched: [TenantID: WrittenRows]) {
        var position = since
        var takenIn: [TenantID: WrittenRows] = [:]
        for _ in 0..<Self.reembedCatchUpRounds {
            let upTo = try store.lastChangePosition()
            let written = try written(since: position, upTo: upTo, tenants: tenants)
            let touched = written.mapValues(\.keys)
            position = upTo
            if touched.isEmpty { return (position, takenIn) }
            WrittenRows.merge(written, into: &takenIn)
            // Where each touched row is (one pass over the rows per round); rows taken out are
            // dropped after every tenant's, so these places hold meanwhile.
            let all = touched.values.reduce(into: Set<Int64>()) { $0.formUnion($1) }
            var at: [Int64: Int] = [:]
            for (i, row) in rewrite.rows.enumerated() where all.contains(row.key) { at[row.key] = i }
            var removed: Set<Int> = []
            for (tenant, keys) in touched {
                try refresh(&rewrite, tenant: tenant, keys: keys, at: at, removed: &removed, newEmbedder: newEmbedder)
            }
            guard !removed.isEmpty else { continue }
            let keep = rewrite.rows.indices.filter { !removed.contains($0) }
            rewrite.rows = keep.map { rewrite.rows[$0] }
            rewrite.vectors = keep.map { rewrite.vectors[$0] }
            if let lists = rewrite.lists { rewrite.lists = keep.map { lists[$0] } }
        }
        return (position, takenIn)
    }

    /// Takes into a prepared re-embedding what was written since its last catch-up (or its
    /// snapshot), filing it into its index when it has one: first without the writer lock (most
    /// of what was written meanwhile), then under it before each attempt of the switch.
    /// Returns whether it took any row in.
    @discardableResult
    func catchUp(
        _ prepared: inout PreparedReembed, tenants: Set<TenantID>?, _ progress: (ReembedProgress) -> Void
    ) throws(CasebookError) -> Bool {
        let caughtUp = try catchUp(
            &prepared.rewrite, since: prepared.caughtUpTo, tenants: tenants, newEmbedder: prepared.embedder)
        prepared.caughtUpTo = caughtUp.position
        WrittenRows.merge(caughtUp.touched, into: &prepared.takenIn)
        if !caughtUp.touched.isEmpty, var index = prepared.index {
            // Taken out while filed, so that filing changes the only copy rather than copying its slabs.
            prepared.index = nil
            fileCaughtUp(caughtUp.touched, from: prepared.rewrite, into: &index)
            prepared.index = index
        }
        let taken = prepared.takenIn.values.reduce(0) { $0 + $1.keys.count }
        progress(ReembedProgress(phase: .catchingUp, done: taken, total: taken))
        return !caughtUp.touched.isEmpty
    }

    /// The switch's transaction, under the writer lock, after the last catch-up (this process's
    /// writes wait on the lock). Another process's write that lands between a catch-up and the
    /// transaction makes the store refuse it, nothing written: that write is taken in by one more
    /// catch-up and the transaction tried again, at most ``reembedSwitchRetries`` times. Returns
    /// the switch's feed position and whether any of these catch-ups took a row in.
    func switchVectors(
        _ prepared: inout PreparedReembed, tenants: Set<TenantID>?, stateAsOf: Int64, _ progress: (ReembedProgress) -> Void
    ) throws(CasebookError) -> (position: Int64, tookIn: Bool) {
        var tookIn = false
        var retries = 0
        while true {
            tookIn = try catchUp(&prepared, tenants: tenants, progress) || tookIn
            progress(ReembedProgress(phase: .writing, done: 0, total: prepared.rewrite.rows.count))
            do throws(CasebookError) {
                let position = try store.rewriteVectors(
                    collection: recordID, name: name, embedder: prepared.embedder.config, vectors: prepared.rewrite.vectors,
                    lists: prepared.rewrite.lists, frequencies: prepared.rewrite.frequencies, tenants: tenants,
                    unchangedSince: prepared.caughtUpTo, stateAsOf: stateAsOf)
                return (position, tookIn)
            } catch .changedDuringReembedding where retries < Self.reembedSwitchRetries {
                retries += 1
            }
        }
    }

    /// Brings the rows of `keys` (of one tenant; `at`: their places in `rewrite`) to their stored
    /// state; the places of deleted ones go into `removed`.
    private func refresh(
        _ rewrite: inout Rewrite, tenant: TenantID, keys: Set<Int64>, at: [Int64: Int], removed: inout Set<Int>,
        newEmbedder: any Embedder
    ) throws(CasebookError) {
        var current: [Int64: KeyedPrecedent] = [:]
        for row in try store.precedents(collection: recordID, tenant: tenant, keys: Array(keys)) { current[row.key] = row }
        if let hybrid = newEmbedder as? HybridEmbedder {
            // The model's part of the stored vector is kept, as the re-embedding keeps it.
            for (key, row) in current {
                let stored = try store.fetch(
                    collection: recordID, tenant: tenant, id: row.precedent.id!, dimension: createdSpec.dimension)
                current[key]?.precedent.vector = stored?.vector.map(hybrid.modelVector(of:))
            }
        }
        let counts = newEmbedder.weighsByFrequency
        for key in keys.sorted() {
            if let i = at[key], counts {
                rewrite.frequencies[tenant, default: FeatureFrequencies()]
                    .count(document: newEmbedder.featureKeys(of: rewrite.rows[i].precedent), sign: -1)
            }
            guard let row = current[key] else {
                if let i = at[key] { removed.insert(i) }
                continue
            }
            let precedent = row.precedent
            let vector = try newEmbedder.documentVector(for: precedent)
            if counts {
                rewrite.frequencies[tenant, default: FeatureFrequencies()].count(document: newEmbedder.featureKeys(of: precedent))
            }
            let list = index.read { $0.placements(for: [vector])?.first }
            if let i = at[key] {
                rewrite.rows[i] = row
                rewrite.vectors[i].stored = VectorBlob.encodeStored(vector)
                if let list { rewrite.lists?[i] = list }
            } else {
                rewrite.rows.append(row)
                rewrite.vectors.append((key, VectorBlob.encodeStored(vector)))
                if let list { rewrite.lists?.append(list) }
            }
        }
    }
}
