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

    @Option(help: "Tenant whose precedents are searched.")
    var tenant: String

    @Option(help: "Number of results.")
    var k: Int = 10

    @Option(help: "Query vector as a JSON array, e.g. '[0.1, 0.2]'.")
    var vector: String?

    @Option(help: "File holding the query vector as a JSON array (- for standard input).")
    var vectorFile: String?

    @Option(help: "The new case in words (hashed-v1 collections).")
    var text: String?

    @Option(help: "The new case's structured context as a JSON object (hashed-v1 collections).")
    var context: String?

    @Flag(help: "Show, per result, the features it shares with the query.")
    var explain = false

    @Option(help: "IVF collections: inverted lists to scan (default: the collection's).")
    var nprobe: Int?

    @Flag(help: "Scan every row of the tenant (an IVF collection's exact answer; flat is always exact).")
    var exact = false

    @Option(help: "Only precedents of this category.")
    var category: String?

    @Option(help: "Only precedents decided under this policy version.")
    var policyVersion: String?

    @Option(help: "Only precedents with this tag (repeat for all of several).")
    var tag: [String] = []

    @Option(help: "Only successful (true) or unsuccessful (false) precedents.")
    var successful: Bool?

    @Option(help: "Only precedents created at or after this ISO 8601 time.")
    var since: String?

    @Option(help: "Only precedents created before this ISO 8601 time.")
    var until: String?

    @Option(help: "Who searches (agent or user), for the match log.")
    var actor: String?

    @Option(help: "The decision this search serves, for the match log.")
    var decision: String?

    @Flag(help: "Do not write this search to the match log.")
    var noLog = false

    @Flag(help: "Re-rank the candidates by precedent success and usefulness (see README).")
    var rerank = false

    @Flag(help: "Print the response as JSON.")
    var json = false

    func validate() throws {
        let vectors = [vector, vectorFile].compactMap { $0 }.count
        let featurized = text != nil || context != nil
        guard vectors + (featurized ? 1 : 0) == 1 else {
            throw ValidationError("give one query: --vector, --vector-file, or --text and/or --context")
        }
        if explain, !featurized { throw ValidationError("--explain needs a --text or --context query") }
        try TimeOption.check(("--since", since), ("--until", until))
    }

    func run() throws {
        var query: [Float]?
        if let vector {
            query = try Self.parseVector(vector)
        } else if let vectorFile {
            query = try Self.parseVector(try LineReader.text(of: vectorFile))
        }
        let filter = SearchFilter(
            category: category, policyVersion: policyVersion, tags: tag, wasSuccessful: successful,
            since: since.flatMap(Timestamp.parse), until: until.flatMap(Timestamp.parse))
        let request = SearchRequest(
            tenant: TenantID(tenant), k: k, vector: query, text: text,
            context: try context.map(Self.parseContext), filter: filter, explain: explain, nprobe: nprobe,
            exact: exact, actor: actor, decisionId: decision, log: !noLog, rerank: rerank ? RerankOptions() : nil)
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

    static func parseContext(_ text: String) throws -> [String: JSONValue] {
        guard let object = (try? JSONValue.parse(text))?.objectValue else {
            throw CLIError("--context must be a JSON object, e.g. '{\"reason\": \"customer_unreachable\"}'")
        }
        return object
    }

    static func parseVector(_ text: String) throws -> [Float] {
        guard let value = try? JSONValue.parse(text), let vector = try? JSONValueDecoder.decode([Float].self, from: value)
        else { throw CLIError("the query vector must be a JSON array of numbers") }
        return vector
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
            print(String(format: "%3d  %.4f  ", result.rank, result.score) + similarity
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
