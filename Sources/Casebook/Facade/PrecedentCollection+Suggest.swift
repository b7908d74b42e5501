import Foundation

extension PrecedentCollection {
    /// Advice for a new decision from the tenant's most similar precedents with a known outcome
    /// (see ``Suggestion`` for the formula). Logged in the match log like a search, its evidence
    /// as the precedents shown, so uses and the decision's outcome can be recorded against its
    /// `queryId`.
    public func suggest(_ request: SuggestRequest) throws(CasebookError) -> Suggestion {
        let started = ContinuousClock.now
        try request.checkParameters()
        var filter = request.filter
        filter.outcomeKnown = true
        let search = SearchRequest(
            tenant: request.tenant, k: request.k, vector: request.vector, text: request.text, context: request.context,
            filter: filter, includePrecedents: true, nprobe: request.nprobe, exact: request.exact, actor: request.actor,
            decisionId: request.decisionId, log: false, spaceId: request.spaceId)
        var response = try self.search(search)
        let (base, indexVersion) = index.read { ($0.outcomeCounts(tenant: request.tenant), $0.version) }
        // The filter admitted only known outcomes; a row updated since the scan may not be.
        response.results.removeAll { $0.precedent?.wasSuccessful == nil }
        let metric = spec.metric
        let items = response.results.compactMap { result -> SuggestionEstimator.Item? in
            guard let precedent = result.precedent, let successful = precedent.wasSuccessful else { return nil }
            return SuggestionEstimator.Item(
                id: result.id, score: result.score, weight: metric.evidenceWeight(result.score),
                action: precedent.action, wasSuccessful: successful, outcome: precedent.outcome)
        }
        let estimate = SuggestionEstimator.estimate(
            items, base: base, priorStrength: request.priorStrength, confidence: request.confidence,
            minSupport: request.minSupport)
        response.tookMs = (ContinuousClock.now - started).seconds * 1e3
        let logging = SearchLogging(
            enabled: request.log, actor: request.actor, decisionId: request.decisionId, filter: filter, k: request.k,
            nprobe: request.nprobe)
        log(response, tenant: request.tenant, logging, indexVersion: indexVersion,
            suggestion: true, recommendedAction: estimate.recommendedAction)
        return Suggestion(
            queryId: response.queryId, exact: response.exact, probed: response.probed, tookMs: response.tookMs,
            recommendedAction: estimate.recommendedAction, insufficientEvidence: estimate.recommendedAction == nil,
            reason: estimate.reason, baseRate: estimate.baseRate, baseRateFrom: base.known,
            priorStrength: request.priorStrength, confidence: request.confidence, considered: items.count,
            withoutAction: estimate.withoutAction, actions: estimate.actions,
            evidence: request.includePrecedents ? response.results : nil)
    }
}
