import Foundation

/// One search as the match log keeps it: what was asked and what was shown. Built on the search's
/// path from values the search already has (no encoding there); the background writer turns it
/// into rows.
struct LoggedSearch: Sendable {
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
}

/// What a search's caller asked of the log, carried from the request to the response builder.
struct SearchLogging: Sendable {
    let enabled: Bool
    let actor: String?
    let decisionId: String?
    let filter: SearchFilter
    let k: Int
    let nprobe: Int?

    static let maxFieldBytes = 256

    /// Actor and decision ids are names: bounded, non-empty when given.
    static func check(actor: String?, decisionId: String?) throws(CasebookError) {
        for (name, value) in [("actor", actor), ("decisionId", decisionId)] {
            if let value { try Casebook.checkName(name, value) }
        }
    }
}
