import Foundation

/// What a search's caller asked of the log, carried from the request to the response builder.
struct SearchLogging: Sendable {
    let enabled: Bool
    let actor: String?
    let decisionId: String?
    let filter: SearchFilter
    let k: Int
    let nprobe: Int?
}
