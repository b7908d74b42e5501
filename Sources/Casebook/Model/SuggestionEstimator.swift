/// The arithmetic of ``Suggestion``: evidence in, estimates and a recommendation out. Pure, so
/// tests can check it against values worked out by hand.
public enum SuggestionEstimator {
    /// One precedent of the evidence.
    public struct Item: Sendable, Hashable {
        public var id: PrecedentID
        /// The reported score (as in search results).
        public var score: Float
        public var weight: Double
        public var action: String?
        public var wasSuccessful: Bool
        public var outcome: String?

        public init(id: PrecedentID, score: Float, weight: Double, action: String?, wasSuccessful: Bool, outcome: String?) {
            self.id = id
            self.score = score
            self.weight = weight
            self.action = action
            self.wasSuccessful = wasSuccessful
            self.outcome = outcome
        }
    }

    public struct Result: Sendable, Hashable {
        public var actions: [ActionEstimate]
        public var recommendedAction: String?
        public var baseRate: Double
        public var withoutAction: Int
        public var reason: String
    }

    /// Evidence listed per action, at most this many ids each way.
    static let listedEvidence = 3

    /// `items` closest first; `base` the tenant's known outcomes.
    public static func estimate(
        _ items: [Item], base: OutcomeCounts, priorStrength m: Double, confidence: Double, minSupport: Int
    ) -> Result {
        let p0 = Double(base.successful + 1) / Double(base.known + 2)
        var order: [String] = []
        var grouped: [String: [Item]] = [:]
        for item in items {
            guard let action = item.action else { continue }
            if grouped[action] == nil { order.append(action) }
            grouped[action, default: []].append(item)
        }
        let tail = (1 - confidence) / 2
        var estimates = order.map { action -> ActionEstimate in
            let evidence = grouped[action]!
            var weight = 0.0
            var weightedSuccesses = 0.0
            var outcomes: [String: Int] = [:]
            for item in evidence {
                weight += item.weight
                if item.wasSuccessful { weightedSuccesses += item.weight }
                if let outcome = item.outcome { outcomes[outcome, default: 0] += 1 }
            }
            let posterior = BetaDistribution(
                alpha: m * p0 + weightedSuccesses, beta: m * (1 - p0) + weight - weightedSuccesses)
            let successes = evidence.filter(\.wasSuccessful)
            let failures = evidence.filter { !$0.wasSuccessful }
            return ActionEstimate(
                action: action, precedents: evidence.count, successes: successes.count, failures: failures.count,
                weight: weight, weightedSuccesses: weightedSuccesses, estimate: posterior.mean,
                low: posterior.quantile(tail), high: posterior.quantile(1 - tail),
                outcomes: outcomes.map { OutcomeTally(outcome: $0.key, count: $0.value) }
                    .sorted { ($0.count, $1.outcome) > ($1.count, $0.outcome) },
                supporting: successes.prefix(listedEvidence).map { EvidenceReference(id: $0.id, score: $0.score) },
                opposing: failures.prefix(listedEvidence).map { EvidenceReference(id: $0.id, score: $0.score) })
        }
        estimates.sort { a, b in
            if a.low != b.low { return a.low > b.low }
            if a.estimate != b.estimate { return a.estimate > b.estimate }
            if a.precedents != b.precedents { return a.precedents > b.precedents }
            return a.action < b.action
        }
        let withoutAction = items.count - grouped.values.reduce(0) { $0 + $1.count }
        let chosen = estimates.first { $0.precedents >= minSupport && $0.weight > 0 }
        let interval = "\(Int((confidence * 100).rounded()))% interval"
        let reason: String
        if let chosen {
            reason = "\(chosen.action): \(chosen.successes) of \(chosen.precedents) similar precedents worked; "
                + "estimated success \(format(chosen.estimate)) (\(interval) \(format(chosen.low))–\(format(chosen.high))), "
                + "the best lower bound among \(estimates.count) action(s); tenant base rate \(format(p0))"
        } else if items.isEmpty {
            reason = "insufficient evidence: no similar precedent with a known outcome"
        } else {
            reason = "insufficient evidence: no action has at least \(minSupport) of the \(items.count) closest "
                + "precedents with a known outcome"
        }
        return Result(
            actions: estimates, recommendedAction: chosen?.action, baseRate: p0, withoutAction: withoutAction,
            reason: reason)
    }

    /// Two decimals, without Foundation's formatter.
    static func format(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
