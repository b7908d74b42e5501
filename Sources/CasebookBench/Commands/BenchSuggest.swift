import ArgumentParser
import Casebook
import CommandLineSupport
import Foundation

/// Decision quality of `suggest`: on datasets where each held-out decision's scenario and every
/// action's true success probability are known (benchmarks/generate_sample.py), the regret of the
/// recommended action against the best one, beside two baselines; on any dataset with outcomes,
/// the AUC of the success estimate for the action the held-out decision actually took.
struct BenchSuggest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suggest",
        abstract: "Regret of suggest's recommendations and AUC of its success estimates, beside baselines.",
        discussion: """
            Each query is a held-out decision: its text and context (never its action or outcome) are \
            suggested on within its tenant and category. regret = p(best action) − p(recommended), \
            from the dataset's scenario table; an action the scenario never takes counts p = 0. When \
            nothing is recommended (insufficient evidence) the fallback is the most common action. \
            Baselines: mostCommon, the tenant and category's most frequent action; vote, the action \
            with the most successes among the same evidence (no weights, no prior). estimateAUC: the \
            estimate for the query's own action (the base rate when absent) against its outcome.
            """)

    @Option(help: "A dataset folder written by generate_sample.py --out (repeat for several).")
    var data: [String] = []
    @Option(help: "Precedents (JSONL) of a dataset without scenario labels (AUC only).") var precedents: String?
    @Option(help: "Held-out decisions (JSONL) to go with --precedents.") var queries: String?
    @Option(help: "hashed-v1 dimension.") var dims = HashedNGramEmbedder.defaultDimension
    @Option var k = SuggestRequest.defaultK
    @Option var priorStrength = SuggestRequest.defaultPriorStrength
    @Option var minSupport = SuggestRequest.defaultMinSupport
    @Option var confidence = SuggestRequest.defaultConfidence
    @Option(help: "Write each query's action, outcome and estimate here (JSONL), for outside AUC checks.")
    var perQuery: String?
    @Flag(help: "Print one JSON object.") var json = false

    struct DatasetReport: Encodable {
        var dataset: String
        var precedents: Int
        var queries: Int
        /// Share of queries with a recommendation.
        var coverage: Double
        var meanRegret: Double?
        var meanRegretMostCommon: Double?
        var meanRegretVote: Double?
        /// Share of queries whose recommendation (or fallback) is the best action.
        var bestActionShare: Double?
        var estimateAUC: Double?
        var suggestP50Ms: Double
    }

    /// One line of `--per-query`.
    struct PerQuery: Encodable {
        var dataset: String
        var id: String
        var action: String?
        var wasSuccessful: Bool
        var estimate: Double
        var recommended: String?
    }

    struct Report: Encodable {
        var k: Int
        var priorStrength: Double
        var minSupport: Int
        var dims: Int
        var datasets: [DatasetReport]
        var meanRegret: Double?
        var meanRegretMostCommon: Double?
        var meanRegretVote: Double?
        /// meanRegret ÷ meanRegretMostCommon (target: at most 1/3).
        var regretRatio: Double?
    }

    func validate() throws {
        guard !data.isEmpty || (precedents != nil && queries != nil) else {
            throw ValidationError("give --data FOLDER (repeatable) or --precedents and --queries")
        }
    }

    func run() throws {
        var perQueryLines: [String] = []
        var reports: [DatasetReport] = []
        for folder in data {
            let scenarios = try Self.readScenarios(folder + "/sample-scenarios.json")
            let (labels, _) = try BenchQuality.readLabels(folder + "/sample-labels.csv")
            reports.append(try measure(
                name: folder, base: BenchQuality.read(folder + "/sample-precedents.jsonl"),
                held: BenchQuality.read(folder + "/sample-queries.jsonl"), scenarioOf: labels, scenarios: scenarios,
                lines: &perQueryLines))
        }
        if let precedents, let queries {
            reports.append(try measure(
                name: queries, base: BenchQuality.read(precedents), held: BenchQuality.read(queries), scenarioOf: [:],
                scenarios: [:], lines: &perQueryLines))
        }
        if let perQuery { try perQueryLines.joined(separator: "\n").appending("\n").write(toFile: perQuery, atomically: true, encoding: .utf8) }
        func mean(_ values: [Double?]) -> Double? {
            let present = values.compactMap { $0 }
            return present.isEmpty ? nil : present.reduce(0, +) / Double(present.count)
        }
        let regret = mean(reports.map(\.meanRegret)), common = mean(reports.map(\.meanRegretMostCommon))
        let report = Report(
            k: k, priorStrength: priorStrength, minSupport: minSupport, dims: dims, datasets: reports, meanRegret: regret,
            meanRegretMostCommon: common, meanRegretVote: mean(reports.map(\.meanRegretVote)),
            regretRatio: regret.flatMap { r in common.map { r / $0 } })
        if json {
            try JSONOutput.print(report)
            return
        }
        for r in reports {
            let f = { (v: Double?) in v.map { String(format: "%.4f", $0) } ?? "-" }
            print("\(r.dataset): \(r.precedents) precedents, \(r.queries) queries; coverage \(f(r.coverage)); regret "
                + "\(f(r.meanRegret)) (most common \(f(r.meanRegretMostCommon)), vote \(f(r.meanRegretVote))); best action "
                + "\(f(r.bestActionShare)); estimate AUC \(f(r.estimateAUC)); suggest p50 \(String(format: "%.2f", r.suggestP50Ms)) ms")
        }
        if let regret, let common {
            print(String(format: "mean regret %.4f, most common %.4f: ratio %.3f", regret, common, regret / common))
        }
    }

    private func measure(
        name: String, base: [Precedent], held: [Precedent], scenarioOf: [String: String],
        scenarios: [String: [String: Double]], lines: inout [String]
    ) throws -> DatasetReport {
        BenchData.log("\(name): \(base.count) precedents, \(held.count) queries")
        let path = BenchData.temporaryPath("suggest")
        defer { BenchData.removeDatabase(path) }
        let collection = try Casebook(path: path).createCollection(
            CollectionSpec(name: "s", dimension: dims, embedder: .hashedV1()))
        try collection.add(base)
        let mostCommon = Self.mostCommonActions(base)
        var regrets: [Double] = [], commonRegrets: [Double] = [], voteRegrets: [Double] = []
        var best = 0, recommended = 0
        var scored: [(score: Double, label: Bool)] = []
        var latencies: [Double] = []
        for query in held {
            let group = "\(query.tenant)|\(query.category ?? "")"
            let request = SuggestRequest(
                tenant: query.tenant, k: k, text: query.text, context: query.context,
                filter: SearchFilter(category: query.category), log: false, priorStrength: priorStrength,
                confidence: confidence, minSupport: minSupport)
            var suggestion: Suggestion?
            latencies.append(try BenchData.seconds { suggestion = try collection.suggest(request) } * 1e3)
            let s = suggestion!
            if s.recommendedAction != nil { recommended += 1 }
            let fallback = mostCommon[group]
            let chosen = s.recommendedAction ?? fallback
            let vote = s.actions.max { ($0.successes, $0.precedents, $1.action) < ($1.successes, $1.precedents, $0.action) }?.action
                ?? fallback
            if let scenario = scenarioOf[query.id!.rawValue], let table = scenarios[scenario], let top = table.values.max() {
                let p = { (action: String?) in action.flatMap { table[$0] } ?? 0 }
                regrets.append(top - p(chosen))
                commonRegrets.append(top - p(fallback))
                voteRegrets.append(top - p(vote))
                if p(chosen) == top { best += 1 }
            }
            if let outcome = query.wasSuccessful {
                let estimate = s.actions.first { $0.action == query.action }?.estimate ?? s.baseRate
                scored.append((estimate, outcome))
                if perQuery != nil {
                    let line = PerQuery(
                        dataset: name, id: query.id!.rawValue, action: query.action, wasSuccessful: outcome,
                        estimate: estimate, recommended: chosen)
                    lines.append(String(decoding: try JSONEncoder().encode(line), as: UTF8.self))
                }
            }
        }
        func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
        return DatasetReport(
            dataset: name, precedents: base.count, queries: held.count, coverage: Double(recommended) / Double(held.count),
            meanRegret: mean(regrets), meanRegretMostCommon: mean(commonRegrets), meanRegretVote: mean(voteRegrets),
            bestActionShare: regrets.isEmpty ? nil : Double(best) / Double(regrets.count), estimateAUC: Self.auc(scored),
            suggestP50Ms: BenchData.median(latencies))
    }

    /// Per "tenant|category", the action taken most often (ties: the name first in order).
    static func mostCommonActions(_ rows: [Precedent]) -> [String: String] {
        var counts: [String: [String: Int]] = [:]
        for row in rows {
            guard let action = row.action else { continue }
            counts["\(row.tenant)|\(row.category ?? "")", default: [:]][action, default: 0] += 1
        }
        return counts.mapValues { tally in tally.max { ($0.value, $1.key) < ($1.value, $0.key) }!.key }
    }

    /// Area under the ROC curve: the probability that a random success scores above a random
    /// failure, ties counting half (Mann–Whitney, with average ranks).
    static func auc(_ scored: [(score: Double, label: Bool)]) -> Double? {
        let positives = scored.filter(\.label).count, negatives = scored.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        let sorted = scored.sorted { $0.score < $1.score }
        var rankSum = 0.0
        var i = 0
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count, sorted[j + 1].score == sorted[i].score { j += 1 }
            let rank = Double(i + j + 2) / 2
            for item in sorted[i...j] where item.label { rankSum += rank }
            i = j + 1
        }
        return (rankSum - Double(positives * (positives + 1)) / 2) / Double(positives * negatives)
    }

    static func readScenarios(_ path: String) throws -> [String: [String: Double]] {
        let text = try LineReader.text(of: path)
        guard case .object(let members)? = try? JSONValue.parse(text) else { throw CLIError("\(path) is not a JSON object") }
        return try members.mapValues { value in
            guard case .object(let table) = value else { throw CLIError("\(path): each scenario maps actions to probabilities") }
            return try table.mapValues { p in
                guard case .number(let number) = p else { throw CLIError("\(path): probabilities must be numbers") }
                return number
            }
        }
    }
}
