/// How far from exact a trained IVF index's answers are on its own rows. Whether `nprobe` lists
/// are enough depends on how clustered the vectors are: dense model embeddings are, hashed
/// vectors of text are much less (benchmarks/RESULTS.md, "IVF on hashed vectors"). So a training
/// measures it instead of assuming it.
extension IVFIndex {
    /// Rows of one tenant drawn to measure recall: their ids and store keys, in the same order.
    struct RecallSample: Sendable {
        var tenant: TenantID
        var ids: [PrecedentID]
        var keys: [Int64]
    }

    /// Up to `size` rows of the listed tenants (every one when there are no more; else a sample
    /// drawn with `seed`), by tenant; empty when no tenant is listed (every search is then exact)
    /// or there is one list.
    func recallSample(size: Int, seed: UInt64) -> [RecallSample] {
        guard nlist > 1 else { return [] }
        var candidates: [(tenant: TenantID, id: PrecedentID, key: Int64)] = []
        for tenant in tenantRows.keys.sorted(by: { $0.rawValue < $1.rawValue }) where tenantRows[tenant]!.isListed {
            var rows: [(tenant: TenantID, id: PrecedentID, key: Int64)] = []
            for slab in tenantRows[tenant]!.lists {
                for row in 0..<slab.count { rows.append((tenant, slab.ids[row], slab.keys[row])) }
            }
            candidates += rows.sorted { $0.id.rawValue < $1.id.rawValue }
        }
        if candidates.count > size {
            // A partial Fisher-Yates shuffle: the first `size` are the sample.
            var random = SplitMix64(seed: seed)
            for i in 0..<size {
                candidates.swapAt(i, i + Int(random.next() % UInt64(candidates.count - i)))
            }
            candidates.removeLast(candidates.count - size)
        }
        return Dictionary(grouping: candidates, by: \.tenant).sorted { $0.key.rawValue < $1.key.rawValue }.map { tenant, rows in
            RecallSample(tenant: tenant, ids: rows.map(\.id), keys: rows.map(\.key))
        }
    }

    /// Recall@k at nprobe 1, 2, 4, … (below nlist) of `sample`, each row searched among its
    /// tenant's rows with its query in `queries` (per tenant, row-major, in the sample's order),
    /// itself left out of both the exact and the probed answer. nil for an empty sample.
    func estimatedRecall(of sample: [RecallSample], queries: [TenantID: [Float]], k: Int) -> RecallEstimate? {
        let rows = sample.reduce(0) { $0 + $1.ids.count }
        guard rows > 0 else { return nil }
        let started = ContinuousClock.now
        var ladder: [Int] = []
        var nprobe = 1
        while nprobe < nlist { ladder.append(nprobe); nprobe *= 2 }
        var found = [Double](repeating: 0, count: ladder.count)
        for group in sample {
            // One more than k: the row itself is among them, and left out.
            let wanted = min(k, count(tenant: group.tenant) - 1) + 1
            guard wanted > 1, let vectors = queries[group.tenant] else { continue }
            let query = { (nprobe: Int?) in
                IndexBatchQuery(
                    tenant: group.tenant, vectors: vectors, k: wanted, filter: SearchFilter(), nprobe: nprobe,
                    exact: nprobe == nil)
            }
            let exact = search(batch: query(nil))
            for (step, nprobe) in ladder.enumerated() {
                for (i, answer) in search(batch: query(nprobe)).enumerated() {
                    let truth = Self.others(exact[i], than: group.ids[i])
                    let hits = Set(Self.others(answer, than: group.ids[i]))
                    found[step] += Double(truth.filter(hits.contains).count) / Double(max(1, truth.count))
                }
            }
        }
        return RecallEstimate(
            k: k, sampleRows: rows,
            points: zip(ladder, found).map { NprobeRecall(nprobe: $0, recall: $1 / Double(rows)) },
            seconds: (ContinuousClock.now - started).seconds)
    }

    /// An answer's ids but `id`'s, at most one fewer than asked for.
    private static func others(_ answer: IndexAnswer, than id: PrecedentID) -> [PrecedentID] {
        let ids = answer.hits.map(\.id)
        let without = ids.filter { $0 != id }
        return Array(without.prefix(max(0, ids.count - 1)))
    }
}
