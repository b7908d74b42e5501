import ArgumentParser
import Casebook
import CommandLineSupport
import Foundation

/// Retrieval quality of hashed-v1 on labelled precedents (benchmarks/generate_sample.py): for each
/// held-out query, search its tenant's precedents of its category and score the top k.
struct BenchQuality: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quality",
        abstract: "Scenario share of the top k and outcome prediction by their vote, per hashed-v1 dimension.",
        discussion: """
            Each query is a held-out precedent: its text and context are the query (tags, outcome and \
            success are not), searched within its tenant and category. scenarioShare: mean share of the \
            top k with the query's scenario label. outcomeAccuracy: share of queries whose wasSuccessful \
            equals the top k's vote (true when at least half of those with a known outcome worked). \
            Baselines: the scenario share of a random pick from the same tenant and category, and the \
            accuracy of always answering that group's majority outcome. When the labels carry each \
            query's true success probability (generate_sample.py writes it), also: \
            decisionAgreement, the share of queries where the vote equals the decision that \
            probability supports (p >= 0.5) — outcome prediction without the coin-flip noise of \
            single outcomes — and the oracle's own accuracy on the drawn outcomes (the ceiling).
            """)

    @Option(help: "Precedents to search (JSONL).") var precedents = "data/sample-precedents.jsonl"
    @Option(help: "Held-out precedents used as queries (JSONL).") var queries = "data/sample-queries.jsonl"
    @Option(help: "CSV of id,scenario[,successProbability] for both files.") var labels = "data/sample-labels.csv"
    @Option(help: "Dimensions to measure, comma-separated.") var dims = "256,512,1024,2048"
    @Option var k = 10
    @Option(help: "Namespace weights to try instead of the defaults, e.g. ctx=0.45,word=0.25,char=0.15,tag=0.1,cat=0.05.")
    var weights: String?
    @Option(help: "hashed-v1, or hashed-v2 with its numeric scales fitted on the precedents first.")
    var embedder = EmbedderConfig.hashedV1Kind
    @Option(help: "How queries weigh their features: none or idf (the default for new collections).")
    var queryWeighting = QueryWeighting.idf.rawValue
    @Flag(help: "hashed-v2: leave out the field weights fitted from outcomes (numeric scales only).")
    var withoutFieldWeights = false
    @Option(help: "Word n-gram lengths to try instead of the defaults, min,max (e.g. 1,1).")
    var wordNgrams: String?
    @Option(help: "Character n-gram lengths to try instead of the defaults, min,max (e.g. 3,5).")
    var charNgrams: String?
    @Flag(help: "Print one JSON object.") var json = false

    struct Row: Encodable {
        var dims: Int
        var scenarioShare: Double
        var outcomeAccuracy: Double
        var decisionAgreement: Double?
        /// AUC of the top k's share of successes (among those with a known outcome) against the
        /// query's own outcome; nil when the queries' outcomes are all alike or unknown.
        var outcomeAUC: Double?
        var addSeconds: Double
        var searchP50Ms: Double
    }

    struct Report: Encodable {
        var system = "casebook-hashed-v1"
        var precedents: Int
        var queries: Int
        var k: Int
        var randomScenarioShare: Double
        var majorityOutcomeAccuracy: Double
        var oracleOutcomeAccuracy: Double?
        var runs: [Row]
    }

    func run() throws {
        let dimensions = try dims.split(separator: ",").map { part -> Int in
            guard let value = Int(part.trimmingCharacters(in: .whitespaces)), value > 0 else {
                throw CLIError("--dims must be positive integers separated by commas")
            }
            return value
        }
        let base = try Self.read(precedents)
        let held = try Self.read(queries)
        let (scenario, probability) = try Self.readLabels(labels)
        for p in base + held where scenario[p.id!.rawValue] == nil {
            throw CLIError("\(labels) has no scenario for id \(p.id!)")
        }
        let oracle = held.allSatisfy({ probability[$0.id!.rawValue] != nil })
            ? Double(held.filter { (probability[$0.id!.rawValue]! >= 0.5) == ($0.wasSuccessful ?? false) }.count) / Double(held.count)
            : nil
        var report = Report(
            precedents: base.count, queries: held.count, k: k,
            randomScenarioShare: Self.randomShare(base, held, scenario),
            majorityOutcomeAccuracy: Self.majorityAccuracy(base, held), oracleOutcomeAccuracy: oracle, runs: [])
        for dimension in dimensions {
            report.runs.append(try measure(
                dimension: dimension, base: base, held: held, scenario: scenario,
                probability: oracle == nil ? [:] : probability))
            BenchData.log("dims \(dimension): done")
        }
        if json {
            try JSONOutput.print(report)
        } else {
            print(String(format: "%d precedents, %d queries, top %d; random pick %.3f scenario share, majority outcome %.3f accuracy",
                         base.count, held.count, k, report.randomScenarioShare, report.majorityOutcomeAccuracy))
            for row in report.runs {
                print(String(format: "dims %5d  scenario share %.3f  outcome accuracy %.3f  AUC %.3f  decision agreement %.3f  add %.2f s  search p50 %.3f ms",
                             row.dims, row.scenarioShare, row.outcomeAccuracy, row.outcomeAUC ?? .nan, row.decisionAgreement ?? .nan,
                             row.addSeconds, row.searchP50Ms))
            }
        }
    }

    private func measure(
        dimension: Int, base: [Precedent], held: [Precedent], scenario: [String: String], probability: [String: Double]
    ) throws -> Row {
        let path = BenchData.temporaryPath("quality-\(dimension)")
        defer { BenchData.removeDatabase(path) }
        let config: EmbedderConfig
        switch embedder {
        case EmbedderConfig.hashedV1Kind: config = .hashedV1(try parameters())
        case EmbedderConfig.hashedV2Kind:
            var scales = NumericScales.fit(base, version: 1)
            if withoutFieldWeights { scales.fieldWeights = [:] }
            config = .hashedV2(try parameters(), scales: scales)
        default: throw CLIError("--embedder must be hashed-v1 or hashed-v2")
        }
        let collection = try Casebook(path: path).createCollection(
            CollectionSpec(name: "q", dimension: dimension, embedder: config))
        let addSeconds = try BenchData.seconds { try collection.add(base) }
        var share = 0.0
        var correct = 0
        var agreeing = 0
        var latencies: [Double] = []
        var voteShares: [(score: Double, label: Bool)] = []
        for query in held {
            let request = SearchRequest(
                tenant: query.tenant, k: k, text: query.text, context: query.context,
                filter: SearchFilter(category: query.category))
            var response: SearchResponse?
            latencies.append(try BenchData.seconds { response = try collection.search(request) } * 1e3)
            let results = response!.results
            let label = scenario[query.id!.rawValue]
            if !results.isEmpty {
                share += Double(results.filter { scenario[$0.id.rawValue] == label }.count) / Double(results.count)
            }
            let known = results.compactMap { $0.precedent?.wasSuccessful }
            let vote = !known.isEmpty && 2 * known.filter { $0 }.count >= known.count
            if vote == (query.wasSuccessful ?? false) { correct += 1 }
            if let outcome = query.wasSuccessful {
                let share = known.isEmpty ? 0.5 : Double(known.filter { $0 }.count) / Double(known.count)
                voteShares.append((share, outcome))
            }
            if let p = probability[query.id!.rawValue], vote == (p >= 0.5) { agreeing += 1 }
        }
        return Row(
            dims: dimension, scenarioShare: share / Double(held.count),
            outcomeAccuracy: Double(correct) / Double(held.count),
            decisionAgreement: probability.isEmpty ? nil : Double(agreeing) / Double(held.count),
            outcomeAUC: BenchSuggest.auc(voteShares), addSeconds: addSeconds,
            searchP50Ms: BenchData.median(latencies))
    }

    private func parameters() throws -> HashedNGramParameters {
        guard let weighting = QueryWeighting(rawValue: queryWeighting) else {
            throw CLIError("--query-weighting must be one of: \(QueryWeighting.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var parameters = HashedNGramParameters.defaults(for: embedder, queryWeighting: weighting)
        func lengths(_ text: String, _ option: String) throws -> [Int] {
            let values = text.split(separator: ",").compactMap { Int($0) }
            guard values.count == 2 else { throw CLIError("--\(option): expected min,max, e.g. 1,2") }
            return values
        }
        if let wordNgrams { parameters.wordNgrams = try lengths(wordNgrams, "word-ngrams") }
        if let charNgrams { parameters.charNgrams = try lengths(charNgrams, "char-ngrams") }
        guard let weights else { return parameters }
        for pair in weights.split(separator: ",") {
            let parts = pair.split(separator: "=")
            guard parts.count == 2, let value = Double(parts[1]),
                let namespace = FeatureNamespace(rawValue: String(parts[0]))
            else { throw CLIError("--weights: expected namespace=value pairs, e.g. ctx=0.45,word=0.25") }
            switch namespace {
            case .context: parameters.weights.context = value
            case .word: parameters.weights.words = value
            case .char: parameters.weights.chars = value
            case .tag: parameters.weights.tags = value
            case .category: parameters.weights.category = value
            }
        }
        return parameters
    }

    static func read(_ path: String) throws -> [Precedent] {
        var rows: [Precedent] = []
        try LineReader.forEachLine(of: path) { number, line in
            guard line.contains(where: { !$0.isWhitespace }) else { return }
            do { rows.append(try Precedent(jsonText: line)) } catch { throw CLIError("\(path) line \(number): \(error)") }
            guard rows.last!.id != nil else { throw CLIError("\(path) line \(number): needs an id") }
        }
        return rows
    }

    /// Scenario per id, and the true success probability where the file has that column.
    static func readLabels(_ path: String) throws -> (scenario: [String: String], probability: [String: Double]) {
        var labels: [String: String] = [:]
        var probability: [String: Double] = [:]
        try LineReader.forEachLine(of: path) { number, line in
            guard number > 1, !line.isEmpty else { return }
            let parts = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 || parts.count == 3 else {
                throw CLIError("\(path) line \(number): expected id,scenario[,successProbability]")
            }
            labels[parts[0]] = parts[1]
            if parts.count == 3 {
                guard let p = Double(parts[2]), (0...1).contains(p) else {
                    throw CLIError("\(path) line \(number): successProbability must be a number from 0 to 1")
                }
                probability[parts[0]] = p
            }
        }
        return (labels, probability)
    }

    /// Expected share of a uniformly random pick among the query's tenant and category.
    static func randomShare(_ base: [Precedent], _ held: [Precedent], _ scenario: [String: String]) -> Double {
        var groups: [String: [String: Int]] = [:]
        for p in base { groups["\(p.tenant)|\(p.category ?? "")", default: [:]][scenario[p.id!.rawValue]!, default: 0] += 1 }
        let total = held.reduce(0.0) { sum, q in
            let group = groups["\(q.tenant)|\(q.category ?? "")"] ?? [:]
            let size = group.values.reduce(0, +)
            return sum + (size == 0 ? 0 : Double(group[scenario[q.id!.rawValue]!] ?? 0) / Double(size))
        }
        return total / Double(held.count)
    }

    /// Accuracy of answering each query with its tenant and category's majority outcome.
    static func majorityAccuracy(_ base: [Precedent], _ held: [Precedent]) -> Double {
        var worked: [String: (yes: Int, all: Int)] = [:]
        for p in base {
            guard let success = p.wasSuccessful else { continue }
            var entry = worked["\(p.tenant)|\(p.category ?? "")", default: (0, 0)]
            entry.all += 1
            if success { entry.yes += 1 }
            worked["\(p.tenant)|\(p.category ?? "")"] = entry
        }
        let correct = held.filter { q in
            let entry = worked["\(q.tenant)|\(q.category ?? "")", default: (0, 0)]
            return (entry.all > 0 && 2 * entry.yes >= entry.all) == (q.wasSuccessful ?? false)
        }.count
        return Double(correct) / Double(held.count)
    }
}
