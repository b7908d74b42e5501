import Casebook
import Foundation

/// search_precedents' structured answer: each precedent as a model needs it (what was done, how it
/// went, why it matched), without vectors.
struct FoundPrecedents: Encodable {
    struct Found: Encodable {
        var rank: Int
        var id: PrecedentID
        var score: Float
        var action: String?
        var outcome: String?
        var wasSuccessful: Bool?
        var category: String?
        var text: String?
        var context: [String: JSONValue]?
        var createdAt: Date?
        /// The shared features that carry most of the score (hashed-v1 collections).
        var matchedOn: [String]?
    }

    var queryId: String
    var exact: Bool
    var precedents: [Found]

    init(_ response: SearchResponse) {
        queryId = response.queryId
        exact = response.exact
        precedents = response.results.map { result in
            let p = result.precedent
            return Found(
                rank: result.rank, id: result.id, score: result.score, action: p?.action, outcome: p?.outcome,
                wasSuccessful: p?.wasSuccessful, category: p?.category, text: p?.text,
                context: p.map { $0.context.isEmpty ? nil : $0.context } ?? nil, createdAt: p?.createdAt,
                matchedOn: result.explanation.map { $0.features.prefix(4).map(\.token) })
        }
    }
}

/// The short texts a model reads: ids, action, outcome, score, why matched; what to call next.
enum ToolText {
    static func search(_ found: FoundPrecedents) -> String {
        guard !found.precedents.isEmpty else {
            return "No similar precedents (queryId \(found.queryId))."
        }
        var lines = ["\(found.precedents.count) similar precedents\(found.exact ? "" : " (approximate)"), "
            + "queryId \(found.queryId) (pass it to record_use for those you rely on):"]
        for p in found.precedents {
            var line = "\(p.rank). \(p.id)  score \(two(Double(p.score)))  action: \(p.action ?? "-")  outcome: "
                + "\(p.outcome ?? "-") (\(p.wasSuccessful.map { $0 ? "worked" : "failed" } ?? "not known yet"))"
            if let category = p.category { line += "  category: \(category)" }
            lines.append(line)
            if let matched = p.matchedOn, !matched.isEmpty { lines.append("   matched on: \(matched.joined(separator: ", "))") }
            if let text = p.text { lines.append("   \"\(text.count > 160 ? String(text.prefix(159)) + "…" : text)\"") }
        }
        return lines.joined(separator: "\n")
    }

    static func suggestion(_ s: Suggestion, decisionId: String?) -> String {
        var lines = [s.recommendedAction.map { "Recommended: \($0)." } ?? "No recommendation: insufficient evidence.", s.reason]
        let percent = Int((s.confidence * 100).rounded())
        if !s.actions.isEmpty {
            lines.append("Per action (estimated success, \(percent)% interval, precedents, worked; closest success / failure):")
        }
        for a in s.actions {
            let success = a.supporting.first.map { "\($0.id) (\(two(Double($0.score))))" } ?? "-"
            let failure = a.opposing.first.map { "\($0.id) (\(two(Double($0.score))))" } ?? "-"
            lines.append("- \(a.action): \(two(a.estimate)) (\(two(a.low))–\(two(a.high))), \(a.precedents) precedents, "
                + "\(a.successes) worked; \(success) / \(failure)")
        }
        lines.append("Based on \(s.considered) similar precedents with a known outcome; tenant base rate \(two(s.baseRate)). "
            + "queryId \(s.queryId)"
            + (decisionId.map { "; once decided, call record_outcome with decisionId \($0) and the action taken." } ?? "."))
        return lines.joined(separator: "\n")
    }

    static func statistics(_ s: MatchStatistics) -> String {
        var lines = [
            "\(s.queries) searches and suggestions; \(s.shown) precedents shown, \(s.used) used (cited or applied); "
                + "MRR \(two(s.mrr)), hit@k \(two(s.hitAtK))."
        ]
        let lift = s.outcomeLift
        if let applied = lift.successRateApplied, let other = lift.successRateNotApplied {
            lines.append("Decisions that applied a precedent worked \(two(applied)) (\(lift.decisionsApplied)), "
                + "others \(two(other)) (\(lift.decisionsNotApplied)).")
        }
        let record = s.suggestions
        lines.append("\(record.suggestions) suggestions (\(record.recommended) with a recommendation); followed: "
            + "\(record.decisionsFollowed) decisions\(record.successRateFollowed.map { ", worked \(two($0))" } ?? ""); "
            + "not followed: \(record.decisionsNotFollowed)\(record.successRateNotFollowed.map { ", worked \(two($0))" } ?? "").")
        if !s.precedents.isEmpty {
            lines.append("Most useful: " + s.precedents.prefix(5).map {
                "\($0.id) (used \($0.used) of \($0.shown) times shown)"
            }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }

    static func two(_ value: Double) -> String { String(format: "%.2f", value) }
}
