import Foundation

/// The index a re-embedding switches to, made from its own rows and new vectors rather than read
/// back from the database after its transaction: reading a whole collection back held every
/// write of the process for longer than the transaction itself. The rows are what a reopened
/// database would load (each held tenant's, keys ascending, times as stored), so the index is
/// the one opening would build.
extension PrecedentCollection {
    /// A whole re-embedding's new index, built without the writer lock from `rewrite` as read and
    /// embedded (the catch-up's rows are filed as they are taken in): a flat
    /// index, or an IVF one keeping the live index's quantizer and training, each row in the list
    /// the re-embedding gave it.
    func switchedIndex(from rewrite: Rewrite) -> any VectorIndex {
        // The live index's training only: a copy of the index itself, held while this builds,
        // would make every write meanwhile copy the slabs it changes.
        let live = index.read { index in (index as? IVFIndex).map { ($0.parameters, $0.quantizer, $0.training) } }
        // As opening builds it: a flat index reads the rows it keeps only as codes from the store
        // (the new vectors, once the switch has committed: nothing searches it before).
        var loader = IndexLoader(
            indexes: [
                recordID: FlatIndex(
                    dimension: createdSpec.dimension, metric: createdSpec.metric,
                    storedRows: live == nil ? StoreVectorReader(store: store) : nil)
            ],
            shard: shard)
        var perTenant: [TenantID: Int] = [:]
        for row in rewrite.rows where loader.wants(tenant: row.precedent.tenant) { perTenant[row.precedent.tenant, default: 0] += 1 }
        loader.reserve(collection: recordID, sizes: perTenant.map { ($0.key, $0.value) })
        for (row, vector) in zip(rewrite.rows, rewrite.vectors) where loader.wants(tenant: row.precedent.tenant) {
            let stored = StoredRow(
                collection: recordID, key: row.key, tenant: row.precedent.tenant, id: row.precedent.id!,
                texts: PrecedentField.filterableTexts.map { row.precedent[text: $0] }, tags: row.precedent.tags,
                wasSuccessful: row.precedent.wasSuccessful, createdAt: row.createdAt)
            let added = vector.stored.withUnsafeBytes { loader.add(stored, vector: $0) }
            precondition(added, "a re-embedded vector in its stored layout is well formed")
        }
        let flat = loader.indexes.removeValue(forKey: recordID)!
        guard let live else { return flat }
        var assignments = ListAssignments()
        if let lists = rewrite.lists {
            // Keys ascending, as ListAssignments looks them up.
            for i in rewrite.rows.indices.sorted(by: { rewrite.rows[$0].key < rewrite.rows[$1].key }) {
                assignments.keys.append(rewrite.rows[i].key)
                assignments.lists.append(lists[i])
            }
        }
        let (parameters, quantizer, training) = live
        var ivf = IVFIndex(adopting: flat, parameters: parameters, quantizer: quantizer, lists: rewrite.lists == nil ? nil : assignments)
        ivf.training = training
        return ivf
    }

    /// After the switch's transaction: the new index, counts and embedder swapped in together —
    /// a whole re-embedding's index built before the lock, or the re-embedded tenants' rows
    /// refiled in the live one (decoded before the lock, again only when the last catch-ups took
    /// rows in).
    func adoptReembedded(_ prepared: PreparedReembed, tenants: Set<TenantID>?, lastCatchUpTookIn: Bool) throws(CasebookError) {
        let counts = prepared.embedder.weighsByFrequency ? prepared.rewrite.frequencies.filter { holds($0.key) } : [:]
        guard let tenants else {
            var next = prepared.index!
            try takeStoredDrift(into: &next)
            adopt(embedder: prepared.embedder, index: next, frequencies: counts)
            return
        }
        var refitCounts: [TenantID: FeatureFrequencies] = [:]
        if prepared.embedder.weighsByFrequency {
            // A tenant whose rows were all deleted meanwhile has none.
            for tenant in tenants where holds(tenant) { refitCounts[tenant] = counts[tenant] ?? FeatureFrequencies() }
        }
        let rows = lastCatchUpTookIn ? currentRows(of: prepared.rewrite, tenants: tenants.filter(holds)) : prepared.refitRows!
        adoptRefit(
            of: tenants, rows: rows, deleted: prepared.takenIn.mapValues(\.ids), counts: refitCounts,
            embedder: prepared.embedder)
    }

    /// Files into a whole re-embedding's index (``switchedIndex(from:)``) the rows a catch-up took
    /// in (`touched`, by tenant): each as `rewrite` now holds it, or taken out when deleted.
    func fileCaughtUp(_ touched: [TenantID: WrittenRows], from rewrite: Rewrite, into next: inout any VectorIndex) {
        guard !touched.isEmpty else { return }
        let held = touched.filter { holds($0.key) }
        let rows = currentRows(of: rewrite, where: { row in held[row.precedent.tenant]?.keys.contains(row.key) ?? false })
        for (tenant, written) in held { Self.file(rows[tenant] ?? [], of: tenant, ids: written.ids, into: &next) }
    }

    /// A trained IVF index's drift (rows added since its training) as the store counts it, which
    /// counts every process's adds: an index built before the catch-up cannot count them itself.
    func takeStoredDrift(into next: inout any VectorIndex) throws(CasebookError) {
        guard var ivf = next as? IVFIndex, ivf.quantizer != nil else { return }
        let stored = try store.loadTrainings(dimensions: [recordID: createdSpec.dimension])[recordID]
        ivf.addedSinceTraining = stored?.addedSinceTraining ?? 0
        next = ivf
    }

    /// Every row of `tenants` in `rewrite`, as a follower would read it from the store, by tenant.
    func currentRows(of rewrite: Rewrite, tenants: Set<TenantID>) -> [TenantID: [CurrentRow]] {
        var rows = currentRows(of: rewrite, where: { tenants.contains($0.precedent.tenant) })
        for tenant in tenants where rows[tenant] == nil { rows[tenant] = [] }
        return rows
    }

    private func currentRows(of rewrite: Rewrite, where wanted: (KeyedPrecedent) -> Bool) -> [TenantID: [CurrentRow]] {
        var rows: [TenantID: [CurrentRow]] = [:]
        let d = createdSpec.dimension
        for (i, row) in rewrite.rows.enumerated() where wanted(row) {
            let vector = VectorBlob.decodeStored(rewrite.vectors[i].stored, dimension: d)
            precondition(vector != nil, "a re-embedded vector in its stored layout is well formed")
            let p = row.precedent
            rows[p.tenant, default: []].append(CurrentRow(
                key: row.key, tenant: p.tenant, id: p.id!, vector: vector!,
                texts: PrecedentField.filterableTexts.map { p[text: $0] }, tags: p.tags, wasSuccessful: p.wasSuccessful,
                createdAt: row.createdAt, list: rewrite.lists?[i]))
        }
        return rows
    }
}
