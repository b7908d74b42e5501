import Foundation

extension PrecedentCollection {
    /// The k precedents of the request's tenant most similar to its query, best first, among those
    /// passing the filter.
    public func search(_ request: SearchRequest) throws(CasebookError) -> SearchResponse {
        let started = ContinuousClock.now
        try checkSearch(tenant: request.tenant, k: request.k)
        try checkSpace(request.spaceId)
        try checkNprobe(request.nprobe)
        try IdentifierRules.checkActor(request.actor, decisionId: request.decisionId)
        try request.rerank?.check()
        let input = QueryInput(
            vector: request.vector, text: request.text, context: request.context, tenant: request.tenant,
            lexicalWeight: request.lexicalWeight)
        try PrecedentValidation.checkQuery(input)
        if request.explain {
            guard embedder.config.isHashed, input.hasFeatures else {
                throw .invalidParameter(
                    "explain needs a collection that embeds text (hashed-v1, hashed-v2) and a text or context query")
            }
        }
        // No vector: nothing in the query occurs in the tenant's precedents, and any match would
        // be made of hash collisions alone. The answer is exactly empty.
        let generation = embedderGeneration
        // A hybrid query of both parts: embedded once, its parts kept to score each result by.
        var hybridParts: (lexical: [Float], model: [Float])?
        let vector: [Float]?
        if let hybrid = embedder as? HybridEmbedder, input.vector != nil, input.hasFeatures {
            let frequencies = hybrid.weighsByFrequency ? frequencyCache.frequencies(of: request.tenant) : nil
            let parts = try hybrid.queryParts(input, frequencies: frequencies)
            vector = try hybrid.fuse(parts, input)
            if let lexical = parts.lexical, let model = parts.model { hybridParts = (lexical, model) }
        } else {
            vector = try queryVector(input, tenant: request.tenant)
        }
        // Re-ranking reorders a wider set of candidates, then keeps k.
        let candidates = request.rerank?.candidateCount(k: request.k) ?? request.k
        let searched = try index.read { index throws(CasebookError) -> (IndexAnswer, String)? in
            // Re-embedded since the query was: its vector is of the old space.
            guard embedderGeneration == generation else { return nil }
            var answer = IndexAnswer(hits: [], exact: true)
            if let vector {
                answer = try index.search(IndexQuery(
                    tenant: request.tenant, vector: vector, k: candidates, filter: request.filter,
                    nprobe: request.nprobe, exact: request.exact))
            }
            return (answer, request.log ? index.version : "")
        }
        guard let (answer, indexVersion) = searched else { return try search(request) }
        let keepPrecedents = request.includePrecedents || request.explain
        var response = try response(
            answer, tenant: request.tenant, includePrecedents: keepPrecedents || request.rerank != nil)
        if let options = request.rerank {
            response.results = try reranked(response.results, tenant: request.tenant, k: request.k, options: options)
            response.reranked = true
            if !keepPrecedents {
                for i in response.results.indices { response.results[i].precedent = nil }
            }
        }
        if let hybridParts, let hybrid = embedder as? HybridEmbedder {
            let ids = response.results.map(\.id)
            let stored = try index.read { index throws(CasebookError) in try index.vectors(tenant: request.tenant, ids: ids) }
            for i in response.results.indices {
                guard let vector = stored[response.results[i].id] else { continue }
                response.results[i].parts = hybrid.partScores(hybridParts, stored: vector)
            }
        }
        if request.explain {
            let frequencies = embedder.weighsByFrequency ? frequencyCache.frequencies(of: request.tenant) : nil
            for i in response.results.indices {
                guard let precedent = response.results[i].precedent else { continue }
                response.results[i].explanation = embedder.explain(
                    query: input, document: precedent, limit: Self.explainedFeatures, frequencies: frequencies)
                if !request.includePrecedents { response.results[i].precedent = nil }
            }
        }
        response.tookMs = (ContinuousClock.now - started).seconds * 1e3
        let logging = SearchLogging(
            enabled: request.log, actor: request.actor, decisionId: request.decisionId, filter: request.filter,
            k: request.k, nprobe: request.nprobe)
        log(response, tenant: request.tenant, logging, indexVersion: indexVersion)
        return response
    }

    /// Shared features listed per explained result.
    static let explainedFeatures = 12

    /// Many queries of one tenant with one filter, answered with matrix products. Responses are in
    /// the order of the request's vectors.
    public func search(batch request: BatchSearchRequest) throws(CasebookError) -> [SearchResponse] {
        let started = ContinuousClock.now
        try checkSearch(tenant: request.tenant, k: request.k)
        try checkSpace(request.spaceId)
        try checkNprobe(request.nprobe)
        try IdentifierRules.checkActor(request.actor, decisionId: request.decisionId)
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
        let (answers, indexVersion) = try index.read { index throws(CasebookError) in
            (try index.search(batch: IndexBatchQuery(
                tenant: request.tenant, vectors: matrix, k: request.k, filter: request.filter, nprobe: request.nprobe,
                exact: request.exact)), request.log ? index.version : "")
        }
        let logging = SearchLogging(
            enabled: request.log, actor: request.actor, decisionId: request.decisionId, filter: request.filter,
            k: request.k, nprobe: request.nprobe)
        let tookMs = (ContinuousClock.now - started).seconds * 1e3
        return try answers.map { answer throws(CasebookError) in
            var response = try response(answer, tenant: request.tenant, includePrecedents: request.includePrecedents)
            response.tookMs = tookMs
            log(response, tenant: request.tenant, logging, indexVersion: indexVersion)
            return response
        }
    }

    private func checkNprobe(_ nprobe: Int?) throws(CasebookError) {
        guard let nprobe else { return }
        guard nprobe >= 1 else { throw .invalidParameter("nprobe must be at least 1, got \(nprobe)") }
        guard index.read({ $0.config.isIVF }) else {
            throw .invalidParameter("nprobe applies to IVF indexes; this collection's index is flat (always exact)")
        }
    }

    private func checkSearch(tenant: TenantID, k: Int) throws(CasebookError) {
        try IdentifierRules.checkTenant(tenant)
        try checkShard(tenant)
        guard (1...SearchRequest.maxK).contains(k) else { throw .invalidK(k, max: SearchRequest.maxK) }
    }

    /// Attaches stored precedents to hits. A hit whose row was deleted between the scan and this
    /// read is dropped rather than returned without its precedent. `tookMs` is left for the caller.
    private func response(
        _ answer: IndexAnswer, tenant: TenantID, includePrecedents: Bool
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
        return SearchResponse(
            queryId: QueryIDs.next(), exact: answer.exact, probed: answer.probed, tookMs: 0, results: results)
    }

    /// Hands the search to the match log (an append; the log writes it in the background). A
    /// suggestion passes what it recommended.
    func log(
        _ response: SearchResponse, tenant: TenantID, _ logging: SearchLogging, indexVersion: String,
        suggestion: Bool = false, recommendedAction: String? = nil
    ) {
        guard logging.enabled else { return }
        matchLog.append(LoggedSearch(
            queryId: response.queryId, collection: recordID, tenant: tenant, actor: logging.actor,
            decisionId: logging.decisionId, filter: logging.filter, k: logging.k, nprobe: logging.nprobe,
            exact: response.exact, reranked: response.reranked, tookMs: response.tookMs, embedder: embedderVersion,
            indexVersion: indexVersion, createdAt: Date().timeIntervalSince1970, ids: response.results.map(\.id),
            scores: response.results.map(\.score),
            similarities: response.reranked ? response.results.map { $0.similarity ?? $0.score } : nil,
            suggestion: suggestion, recommendedAction: recommendedAction))
    }
}
