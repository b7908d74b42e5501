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
        var rows: [(key: Int64, precedent: Precedent)]
        var vectors: [(key: Int64, stored: Data)]
        var lists: [Int32]?
        var frequencies: [TenantID: FeatureFrequencies]
    }

    /// Takes into `rewrite` every upsert and delete of the collection (of `tenants`, or any)
    /// committed after feed position `since`, as the rows are now, embedded by `newEmbedder`: a
    /// changed row's vector, list and counts are those of its new version, a new row is added, a
    /// deleted one taken out. Returns the feed position caught up to (the switch's
    /// `unchangedSince`).
    func catchUp(
        _ rewrite: inout Rewrite, since: Int64, tenants: Set<TenantID>?, newEmbedder: any Embedder
    ) throws(CasebookError) -> Int64 {
        var position = since
        for _ in 0..<Self.reembedCatchUpRounds {
            let upTo = try store.lastChangePosition()
            let touched = try written(since: position, upTo: upTo, tenants: tenants).mapValues(\.keys)
            position = upTo
            if touched.isEmpty { return position }
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
        return position
    }

    /// Brings the rows of `keys` (of one tenant; `at`: their places in `rewrite`) to their stored
    /// state; the places of deleted ones go into `removed`.
    private func refresh(
        _ rewrite: inout Rewrite, tenant: TenantID, keys: Set<Int64>, at: [Int64: Int], removed: inout Set<Int>,
        newEmbedder: any Embedder
    ) throws(CasebookError) {
        var current: [Int64: Precedent] = [:]
        for (key, precedent) in try store.precedents(collection: recordID, tenant: tenant, keys: Array(keys)) {
            current[key] = precedent
        }
        if let hybrid = newEmbedder as? HybridEmbedder {
            // The model's part of the stored vector is kept, as the re-embedding keeps it.
            for (key, precedent) in current {
                let stored = try store.fetch(
                    collection: recordID, tenant: tenant, id: precedent.id!, dimension: createdSpec.dimension)
                current[key]?.vector = stored?.vector.map(hybrid.modelVector(of:))
            }
        }
        let counts = newEmbedder.weighsByFrequency
        for key in keys.sorted() {
            if let i = at[key], counts {
                rewrite.frequencies[tenant, default: FeatureFrequencies()]
                    .count(document: newEmbedder.featureKeys(of: rewrite.rows[i].precedent), sign: -1)
            }
            guard let precedent = current[key] else {
                if let i = at[key] { removed.insert(i) }
                continue
            }
            let vector = try newEmbedder.documentVector(for: precedent)
            if counts {
                rewrite.frequencies[tenant, default: FeatureFrequencies()].count(document: newEmbedder.featureKeys(of: precedent))
            }
            let list = index.read { $0.placements(for: [vector])?.first }
            if let i = at[key] {
                rewrite.rows[i].precedent = precedent
                rewrite.vectors[i].stored = VectorBlob.encodeStored(vector)
                if let list { rewrite.lists?[i] = list }
            } else {
                rewrite.rows.append((key, precedent))
                rewrite.vectors.append((key, VectorBlob.encodeStored(vector)))
                if let list { rewrite.lists?.append(list) }
            }
        }
    }
}
