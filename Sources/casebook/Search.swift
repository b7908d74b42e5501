import ArgumentParser
import Casebook
import CommandLineSupport
import Foundation

struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find a tenant's precedents most similar to a new case (text and context, or a vector).")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Collection to search.")
    var collection: String

    @OptionGroup var query: QueryOptions

    @Option(help: "Number of results.")
    var k: Int = 10

    @Flag(help: "Show, per result, the features it shares with the query.")
    var explain = false

    @Flag(help: "Re-rank the candidates by precedent success and usefulness (see README).")
    var rerank = false

    @Flag(help: "Print the response as JSON.")
    var json = false

    func validate() throws {
        if explain, !query.featurized { throw ValidationError("--explain needs a --text or --context query") }
    }

    func run() throws {
        let request = SearchRequest(
            tenant: TenantID(query.tenant), k: k, vector: try query.queryVector(), text: query.text,
            context: try query.parsedContext(), filter: query.filter, explain: explain, nprobe: query.nprobe,
            exact: query.exact, actor: query.actor, decisionId: query.decision, log: !query.noLog,
            rerank: rerank ? RerankOptions() : nil, spaceId: query.spaceId, lexicalWeight: query.lexicalWeight)
        let casebook = try database.open(only: [collection])
        let response = try casebook.collection(collection).search(request)
        // The log writes in the background; a process about to exit writes it now.
        try casebook.flushMatchLog()
        if json {
            try JSONOutput.print(response)
        } else {
            Self.printTable(response)
        }
    }

    static func printTable(_ response: SearchResponse, header: Bool = true) {
        if header {
            let scope = response.exact ? "exact" : "approximate, \(response.probed) lists probed"
            let order = response.reranked ? "  re-ranked by history (score = final, sim = similarity)" : ""
            print("query \(response.queryId)  \(response.results.count) results  \(String(format: "%.2f", response.tookMs)) ms  \(scope)\(order)")
        }
        for result in response.results {
            let p = result.precedent
            let success = p?.wasSuccessful.map { $0 ? "worked" : "failed" } ?? "unknown"
            let outcome = p?.outcome ?? "-"
            let text = p?.text.map { $0.count > 70 ? String($0.prefix(69)) + "…" : $0 } ?? ""
            let similarity = result.similarity.map { String(format: "sim %.4f  ", $0) } ?? ""
            let parts = result.parts.map { String(format: "(text %.4f, vector %.4f)  ", $0.lexical, $0.vector) } ?? ""
            print(String(format: "%3d  %.4f  ", result.rank, result.score) + similarity + parts
                + "\(result.id)  [\(success): \(outcome)]  \(text)")
            if let explanation = result.explanation { printExplanation(explanation) }
        }
    }

    /// Two indented lines: per-namespace similarity, then the shared features carrying the score.
    static func printExplanation(_ explanation: SearchExplanation, features: Int = 6) {
        let namespaces = explanation.namespaces.map { "\($0.namespace) " + String(format: "%.2f", $0.similarity) }
        print("       similarity by part: " + namespaces.joined(separator: ", "))
        let shared = explanation.features.prefix(features).map {
            "\($0.namespace) \"\($0.token)\" " + String(format: "+%.3f", $0.contribution)
        }
        print("       shared: " + shared.joined(separator: ", "))
    }
}
