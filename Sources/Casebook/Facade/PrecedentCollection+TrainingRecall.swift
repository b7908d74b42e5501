/// How a training measures its own recall (``RecallEstimate``): the rows it samples are searched
/// as a search would search them.
extension PrecedentCollection {
    /// Rows of its own a training searches to measure its recall (``RecallEstimate``): enough
    /// for a figure within a few hundredths, at a small share of k-means' work.
    static let recallSampleRows = 200

    /// Recall@10 of a freshly trained index by nprobe, on a seeded sample of its rows; nil when
    /// no tenant is listed.
    func measuredRecall(of index: IVFIndex, seed: UInt64) throws(CasebookError) -> RecallEstimate? {
        let started = ContinuousClock.now
        let sample = index.recallSample(size: Self.recallSampleRows, seed: seed)
        var recall = index.estimatedRecall(of: sample, queries: try recallQueries(sample, in: index), k: 10)
        recall?.seconds = (ContinuousClock.now - started).seconds
        return recall
    }

    /// Each sampled row's query, per tenant in the sample's order: for a collection Casebook
    /// embeds, the vector a search with the row's own text and context would make (weighed by the
    /// tenant's feature frequencies, as a search is), since such queries are not the stored
    /// vectors; otherwise, and for a row since deleted, its stored vector.
    private func recallQueries(_ sample: [IVFIndex.RecallSample], in index: IVFIndex) throws(CasebookError) -> [TenantID: [Float]] {
        let embedsText = embedder.config.isHashed && !(embedder is HybridEmbedder)
        var queries: [TenantID: [Float]] = [:]
        for group in sample {
            let stored = try index.vectors(tenant: group.tenant, ids: group.ids)
            var precedents: [Int64: Precedent] = [:]
            if embedsText {
                for row in try store.precedents(collection: recordID, tenant: group.tenant, keys: group.keys) {
                    precedents[row.key] = row.precedent
                }
            }
            var block: [Float] = []
            block.reserveCapacity(group.ids.count * createdSpec.dimension)
            for (id, key) in zip(group.ids, group.keys) {
                let query = try precedents[key].flatMap { precedent throws(CasebookError) in
                    try queryVector(QueryInput(text: precedent.text, context: precedent.context, tenant: group.tenant), tenant: group.tenant)
                }
                block += query ?? stored[id] ?? [Float](repeating: 0, count: createdSpec.dimension)
            }
            queries[group.tenant] = block
        }
        return queries
    }
}
