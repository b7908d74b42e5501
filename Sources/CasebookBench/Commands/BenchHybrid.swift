import ArgumentParser
import Casebook
import CommandLineSupport
import Foundation

/// Hybrid search on labelled precedents that carry an external model's vector: topic share of the
/// top k at several lexical weights, and the latency of a hybrid query beside its two parts
/// searched on their own (a hashed collection with the text, an external one with the vector).
struct BenchHybrid: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hybrid",
        abstract: "Topic share of hybrid search by lexical weight, and its latency beside its two parts.",
        discussion: """
            Every precedent and query needs text (or context) and a vector of --companion-dims numbers \
            (benchmarks/hybrid_quality.py writes them). Queries are searched within their tenant and \
            category. Latency: per query, the hashed search, the external search and the hybrid search \
            (weight 0.5) are timed one after another, so all three see the same machine; p50 of each.
            """)

    @Option(help: "Precedents with text and vectors (JSONL).") var precedents: String
    @Option(help: "Held-out queries (JSONL).") var queries: String
    @Option(help: "CSV of id,label for both files.") var labels: String
    @Option(help: "The external vectors' dimension.") var companionDims: Int
    @Option(help: "The featurizer's dimension.") var dims = HashedNGramEmbedder.defaultDimension
    @Option(help: "The featurizer: hashed-v1 or hashed-v2 (with its own defaults; no numeric scales fitted).")
    var embedder = EmbedderConfig.hashedV1Kind
    @Option(help: "Lexical weights to measure, comma-separated.") var weights = "0,0.3,0.5,0.7,1"
    @Option var k = 10
    @Flag(help: "Print one JSON object.") var json = false

    struct Report: Encodable {
        var precedents: Int
        var queries: Int
        var k: Int
        /// Lexical weight → mean share of the top k with the query's label.
        var share: [String: Double]
        var hashedP50Ms: Double
        var externalP50Ms: Double
        var hybridP50Ms: Double
        var hybridOverSum: Double
    }

    func run() throws {
        let base = try BenchQuality.read(precedents)
        let held = try BenchQuality.read(queries)
        let (label, _) = try BenchQuality.readLabels(labels)
        let levels = try weights.split(separator: ",").map { part -> Double in
            guard let value = Double(part), (0...1).contains(value) else { throw CLIError("--weights must be numbers from 0 to 1") }
            return value
        }
        let path = BenchData.temporaryPath("hybrid")
        defer { BenchData.removeDatabase(path) }
        let casebook = try Casebook(path: path)
        let hybrid = try casebook.createCollection(try CollectionOptions(
            name: "hybrid", embedder: embedder, dim: dims, spaceId: "bench", companionDim: companionDims).spec())
        let hashed = try casebook.createCollection(try CollectionOptions(name: "hashed", embedder: embedder, dim: dims).spec())
        let external = try casebook.createCollection(try CollectionOptions(
            name: "external", embedder: "external", dim: companionDims).spec())
        try hybrid.add(base)
        try hashed.add(base.map { p in
            var p = p
            p.vector = nil
            return p
        })
        try external.add(base)
        BenchData.log("added \(base.count) precedents to three collections")
        var share: [String: Double] = [:]
        for weight in levels {
            var total = 0.0
            for query in held {
                let found = try hybrid.search(SearchRequest(
                    tenant: query.tenant, k: k, vector: query.vector, text: query.text, context: query.context,
                    filter: SearchFilter(category: query.category), includePrecedents: false, log: false,
                    lexicalWeight: weight))
                let mine = label[query.id!.rawValue]
                if !found.results.isEmpty {
                    total += Double(found.results.filter { label[$0.id.rawValue] == mine }.count) / Double(found.results.count)
                }
            }
            share[String(weight)] = total / Double(held.count)
        }
        var times: [[Double]] = [[], [], []]
        for query in held {
            let filter = SearchFilter(category: query.category)
            times[0].append(try BenchData.seconds {
                _ = try hashed.search(SearchRequest(
                    tenant: query.tenant, k: k, text: query.text, context: query.context, filter: filter,
                    includePrecedents: false, log: false))
            } * 1e3)
            times[1].append(try BenchData.seconds {
                _ = try external.search(SearchRequest(
                    tenant: query.tenant, k: k, vector: query.vector, filter: filter, includePrecedents: false, log: false))
            } * 1e3)
            times[2].append(try BenchData.seconds {
                _ = try hybrid.search(SearchRequest(
                    tenant: query.tenant, k: k, vector: query.vector, text: query.text, context: query.context,
                    filter: filter, includePrecedents: false, log: false))
            } * 1e3)
        }
        let p50 = times.map(BenchData.median)
        let report = Report(
            precedents: base.count, queries: held.count, k: k, share: share, hashedP50Ms: p50[0],
            externalP50Ms: p50[1], hybridP50Ms: p50[2], hybridOverSum: p50[2] / (p50[0] + p50[1]))
        if json {
            try JSONOutput.print(report)
        } else {
            for weight in levels { print(String(format: "lexical weight %.2f  share %.3f", weight, share[String(weight)]!)) }
            print(String(format: "p50 ms: hashed %.3f  external %.3f  hybrid %.3f  (hybrid / sum %.2f)",
                         p50[0], p50[1], p50[2], report.hybridOverSum))
        }
    }
}
