import Foundation

/// One search as the match log keeps it: what was asked and what was shown. Built on the search's
/// path from values the search already has (no encoding there); the background writer turns it
/// into rows.
package struct LoggedSearch: Sendable {
    let queryId: String
    let collection: Int64
    let tenant: TenantID
    let actor: String?
    let decisionId: String?
    let filter: SearchFilter
    let k: Int
    let nprobe: Int?
    let exact: Bool
    let reranked: Bool
    let tookMs: Double
    let embedder: String
    let indexVersion: String
    /// Unix seconds.
    let createdAt: Double
    /// Shown results, rank 1 first.
    let ids: [PrecedentID]
    let scores: [Float]
    /// Re-ranked searches: each result's metric score.
    let similarities: [Float]?
    /// A suggestion's entry: what it recommended (nil when the evidence was too thin).
    let suggestion: Bool
    let recommendedAction: String?

    package init(
        queryId: String, collection: Int64, tenant: TenantID, actor: String?, decisionId: String?,
        filter: SearchFilter, k: Int, nprobe: Int?, exact: Bool, reranked: Bool, tookMs: Double,
        embedder: String, indexVersion: String, createdAt: Double, ids: [PrecedentID], scores: [Float],
        similarities: [Float]?, suggestion: Bool = false, recommendedAction: String? = nil
    ) {
        self.queryId = queryId
        self.collection = collection
        self.tenant = tenant
        self.actor = actor
        self.decisionId = decisionId
        self.filter = filter
        self.k = k
        self.nprobe = nprobe
        self.exact = exact
        self.reranked = reranked
        self.tookMs = tookMs
        self.embedder = embedder
        self.indexVersion = indexVersion
        self.createdAt = createdAt
        self.ids = ids
        self.scores = scores
        self.similarities = similarities
        self.suggestion = suggestion
        self.recommendedAction = recommendedAction
    }
}
