extension PrecedentCollection {
    /// Orders candidates by the blend ``RerankOptions`` documents and keeps the best `k`. Each
    /// result's `score` becomes its final score (higher is better, for every metric) and
    /// `similarity` keeps the metric's score. Candidates carry their precedents (for `wasSuccessful`).
    func reranked(
        _ candidates: [SearchResult], tenant: TenantID, k: Int, options: RerankOptions
    ) throws(CasebookError) -> [SearchResult] {
        // History as written: uses are written when recorded; searches reach the log within
        // MatchLog.flushDelay, so the newest searches' "shown" may not count yet.
        let history = try store.usefulness(collection: recordID, tenant: tenant, ids: candidates.map(\.id))
        let metric = createdSpec.metric
        let scored = candidates.map { result -> (result: SearchResult, final: Double) in
            let similarity = Double(metric.higherIsCloser ? result.score : -result.score)
            let success = result.precedent?.wasSuccessful.map { $0 ? 1.0 : 0.0 } ?? 0.5
            let usefulness = history[result.id]?.usefulness ?? 0.5
            let final = similarity + options.successWeight * (success - 0.5)
                + options.usefulnessWeight * (usefulness - 0.5)
            return (result, final)
        }
        // Stable on ties: the similarity order stands.
        let ordered = scored.enumerated().sorted {
            $0.element.final != $1.element.final ? $0.element.final > $1.element.final : $0.offset < $1.offset
        }
        return ordered.prefix(k).enumerated().map { position, entry in
            var result = entry.element.result
            result.rank = position + 1
            result.similarity = result.score
            result.score = Float(entry.element.final)
            return result
        }
    }
}
