import ArgumentParser
import Casebook
import CommandLineSupport
import Foundation

/// `casebook suggest`: what the closest precedents with a known outcome say to do.
struct Suggest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recommend an action for a new case from its most similar precedents with a known outcome.",
        discussion: """
            Per action among the k closest precedents with a known outcome: a similarity-weighted \
            success estimate shrunk toward the tenant's base rate (a Beta prior of --prior-strength \
            pseudo-observations) and its interval; the recommendation is the action with the best \
            lower bound among those with at least --min-support precedents (README: Suggestions).
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Collection to read.")
    var collection: String

    @OptionGroup var query: QueryOptions

    @Option(help: "Precedents with a known outcome read as evidence.")
    var k: Int = SuggestRequest.defaultK

    @Option(help: "Weight of the base-rate prior, in pseudo-observations.")
    var priorStrength: Double = SuggestRequest.defaultPriorStrength

    @Option(help: "Probability mass of each action's interval.")
    var confidence: Double = SuggestRequest.defaultConfidence

    @Option(help: "Precedents an action needs before it can be recommended.")
    var minSupport: Int = SuggestRequest.defaultMinSupport

    @Flag(help: "Print the suggestion as JSON.")
    var json = false

    func run() throws {
        let request = SuggestRequest(
            tenant: TenantID(query.tenant), k: k, vector: try query.queryVector(), text: query.text,
            context: try query.parsedContext(), filter: query.filter, nprobe: query.nprobe, exact: query.exact,
            actor: query.actor, decisionId: query.decision, log: !query.noLog, priorStrength: priorStrength,
            confidence: confidence, minSupport: minSupport, spaceId: query.spaceId)
        let casebook = try database.open(only: [collection])
        let suggestion = try casebook.collection(collection).suggest(request)
        try casebook.flushMatchLog()
        if json {
            try JSONOutput.print(suggestion)
        } else {
            Self.printReport(suggestion)
        }
    }

    static func printReport(_ s: Suggestion, indent: String = "") {
        let scope = s.exact ? "exact" : "approximate, \(s.probed) lists probed"
        print(indent + "suggestion \(s.queryId)  \(s.considered) precedents with a known outcome  "
            + "\(String(format: "%.2f", s.tookMs)) ms  \(scope)")
        print(indent + (s.recommendedAction.map { "recommended: \($0)" } ?? "no recommendation (insufficient evidence)"))
        print(indent + s.reason)
        guard !s.actions.isEmpty else { return }
        let width = max(6, s.actions.map(\.action.count).max() ?? 0)
        let percent = Int((s.confidence * 100).rounded())
        print(indent + "  " + "action".padding(toLength: width, withPad: " ", startingAt: 0)
            + "    n  worked  estimate  \(percent)% interval   closest success / failure")
        for a in s.actions {
            let closest = [a.supporting.first, a.opposing.first].map { ref in
                ref.map { "\($0.id) (\(String(format: "%.2f", $0.score)))" } ?? "-"
            }
            print(indent + "  " + a.action.padding(toLength: width, withPad: " ", startingAt: 0)
                + String(format: "  %3d  %6d  %8.2f  %5.2f–%.2f", a.precedents, a.successes, a.estimate, a.low, a.high)
                + "     \(closest[0]) / \(closest[1])")
        }
    }
}
