/// How far from exact a trained IVF index's answers are on its own rows. Whether `nprobe` lists
/// are enough depends on how clustered the vectors are: dense model embeddings are, hashed
/// vectors of text are much less (benchmarks/RESULTS.md, "IVF on hashed vectors"). So a training
/// measures it instead of assuming it.
extension IVFIndex {
    /// Recall@k at nprobe 1, 2, 4, … (below nlist) of up to `sampleSize` rows of the listed
    /// tenants (every one when there are no more; else a sample drawn with `seed`), each searched
    /// with its own vector among its tenant's rows, itself left out, against the exact answer.
    /// nil when no tenant is listed (every search is then exact).
    func estimatedRecall(k: Int, sampleSize: Int, seed: UInt64) throws(CasebookError) -> RecallEstimate? {
        let listed = tenantRows.keys.filter { tenantRows[$0]!.isListed }.sorted { $0.rawValue < $1.rawValue }
        var candidates: [(tenant: TenantID, id: PrecedentID)] = []
        for tenant in listed {
            for id in tenantRows[tenant]!.listOfID.keys.sorted(by: { $0.rawValue < $1.rawValue }) { candidates.append((tenant, id)) }
        }
        guard !candidates.isEmpty, nlist > 1 else { return nil }
        let started = ContinuousClock.now
        var random = SplitMix64(seed: seed)
        if candidates.count > sampleSize {
            // A partial Fisher-Yates shuffle: the first `sampleSize` are the sample.
            for i in 0..<sampleSize {
                let j = i + Int(random.next() % UInt64(candidates.count - i))
                candidates.swapAt(i, j)
            }
            candidates.removeLast(candidates.count - sampleSize)
        }
        var ladder: [Int] = []
        var nprobe = 1
        while nprobe < nlist { ladder.append(nprobe); nprobe *= 2 }
        var found = [Double](repeating: 0, count: ladder.count)
        let byTenant = Dictionary(grouping: candidates, by: \.tenant)
        for (tenant, rows) in byTenant {
            let ids = rows.map(\.id)
            let stored = try vectors(tenant: tenant, ids: ids)
            var queries: [Float] = []
            queries.reserveCapacity(ids.count * dimension)
            for id in ids { queries += stored[id]! }
            // One more than k: the row itself is among them, and left out.
            let wanted = min(k, count(tenant: tenant) - 1) + 1
            guard wanted > 1 else { continue }
            let query = { (nprobe: Int?) in
                IndexBatchQuery(tenant: tenant, vectors: queries, k: wanted, filter: SearchFilter(), nprobe: nprobe, exact: nprobe == nil)
            }
            let exact = search(batch: query(nil))
            for (step, nprobe) in ladder.enumerated() {
                let approximate = search(batch: query(nprobe))
                for (i, answer) in approximate.enumerated() {
                    let truth = Self.others(exact[i], than: ids[i])
                    let hits = Set(Self.others(answer, than: ids[i]))
                    found[step] += Double(truth.filter(hits.contains).count) / Double(max(1, truth.count))
                }
            }
        }
        let n = Double(candidates.count)
        return RecallEstimate(
            k: k, sampleRows: candidates.count,
            points: zip(ladder, found).map { NprobeRecall(nprobe: $0, recall: $1 / n) },
            seconds: (ContinuousClock.now - started).seconds)
    }

    /// An answer's ids but `id`'s, at most one fewer than asked for.
    private static func others(_ answer: IndexAnswer, than id: PrecedentID) -> [PrecedentID] {
        let ids = answer.hits.map(\.id)
        let without = ids.filter { $0 != id }
        return Array(without.prefix(max(0, ids.count - 1)))
    }
}
