import Foundation

extension PrecedentCollection {
    /// The k precedents of the request's tenant most similar to its query, best first, among those
    /// passing the filter.
    public func search(_ request: SearchRequest) throws(CasebookError) -> SearchResponse {
        let started = ContinuousClock.now
        try Self.checkSearch(tenant: request.tenant, k: request.k)
        try checkNprobe(request.nprobe)
        let input = QueryInput(vector: request.vector, text: request.text, context: request.context)
        try PrecedentValidation.checkQuery(input)
        if request.explain {
            guard embedder.computesVectors, input.vector == nil else {
                throw .invalidArgument(
                    "explain needs a collection that embeds text (hashed-v1) and a text or context query")
            }
        }
        let vector = try embedder.queryVector(input)
        let answer = index.read {
            $0.search(IndexQuery(
                tenant: request.tenant, vector: vector, k: request.k, filter: request.filter, nprobe: request.nprobe,
                exact: request.exact))
        }
        var response = try response(
            answer, tenant: request.tenant, includePrecedents: request.includePrecedents || request.explain,
            started: started)
        if request.explain {
            for i in response.results.indices {
                guard let precedent = response.results[i].precedent else { continue }
                response.results[i].explanation = embedder.explain(
                    query: input, document: precedent, limit: Self.explainedFeatures)
                if !request.includePrecedents { response.results[i].precedent = nil }
            }
        }
        return response
    }

    /// Shared features listed per explained result.
    static let explainedFeatures = 12

    /// Many queries of one tenant with one filter, answered with matrix products. Responses are in
    /// the order of the request's vectors.
    public func search(batch request: BatchSearchRequest) throws(CasebookError) -> [SearchResponse] {
        let started = ContinuousClock.now
        try Self.checkSearch(tenant: request.tenant, k: request.k)
        try checkNprobe(request.nprobe)
        guard !request.vectors.isEmpty else { throw .emptyBatch }
        guard request.vectors.count <= BatchSearchRequest.maxQueries else {
            throw .batchTooLarge(request.vectors.count, max: BatchSearchRequest.maxQueries)
        }
        var matrix: [Float] = []
        matrix.reserveCapacity(request.vectors.count * spec.dimension)
        for (position, vector) in request.vectors.enumerated() {
            do throws(CasebookError) {
                matrix.append(contentsOf: try embedder.queryVector(QueryInput(vector: vector)))
            } catch {
                throw .item(index: position, id: nil, problem: error)
            }
        }
        let answers = index.read {
            $0.search(batch: IndexBatchQuery(
                tenant: request.tenant, vectors: matrix, k: request.k, filter: request.filter, nprobe: request.nprobe,
                exact: request.exact))
        }
        return try answers.map { answer throws(CasebookError) in
            try response(
                answer, tenant: request.tenant, includePrecedents: request.includePrecedents,
                started: started)
        }
    }

    private func checkNprobe(_ nprobe: Int?) throws(CasebookError) {
        guard let nprobe else { return }
        guard nprobe >= 1 else { throw .invalidArgument("nprobe must be at least 1, got \(nprobe)") }
        guard index.read({ $0.isIVF }) else {
            throw .invalidArgument("nprobe applies to IVF indexes; this collection's index is flat (always exact)")
        }
    }

    private static func checkSearch(tenant: TenantID, k: Int) throws(CasebookError) {
        try PrecedentValidation.checkTenant(tenant)
        guard (1...SearchRequest.maxK).contains(k) else { throw .invalidK(k, max: SearchRequest.maxK) }
    }

    /// Attaches stored precedents to hits. A hit whose row was deleted between the scan and this
    /// read is dropped rather than returned without its precedent.
    private func response(
        _ answer: IndexAnswer, tenant: TenantID, includePrecedents: Bool, started: ContinuousClock.Instant
    ) throws(CasebookError) -> SearchResponse {
        var hits = answer.hits
        var precedents: [Int64: Precedent] = [:]
        if includePrecedents {
            precedents = try store.fetch(keys: hits.map(\.key), tenant: tenant)
            hits.removeAll { precedents[$0.key] == nil }
        }
        let results = hits.enumerated().map { offset, hit in
            SearchResult(rank: offset + 1, id: hit.id, score: hit.score, precedent: precedents[hit.key])
        }
        let elapsed = ContinuousClock.now - started
        let tookMs = Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) * 1e-15
        return SearchResponse(
            queryId: QueryIDs.next(), exact: answer.exact, probed: answer.probed, tookMs: tookMs,
            results: results)
    }
}
