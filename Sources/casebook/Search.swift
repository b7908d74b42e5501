import ArgumentParser
import Casebook
import Foundation

struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Find a tenant's precedents most similar to a vector.")

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

    @Option(help: "Only precedents of this category.")
    var category: String?

    @Option(help: "Only precedents with this tag (repeat for all of several).")
    var tag: [String] = []

    @Option(help: "Only successful (true) or unsuccessful (false) precedents.")
    var successful: Bool?

    @Option(help: "Only precedents created at or after this ISO 8601 time.")
    var since: String?

    @Option(help: "Only precedents created before this ISO 8601 time.")
    var until: String?

    @Flag(help: "Print the response as JSON.")
    var json = false

    func validate() throws {
        guard (vector == nil) != (vectorFile == nil) else {
            throw ValidationError("give exactly one of --vector and --vector-file")
        }
        for (name, value) in [("--since", since), ("--until", until)] {
            if let value, Timestamp.parse(value) == nil {
                throw ValidationError("\(name) must be an ISO 8601 date or date-time, e.g. 2026-01-18T10:00:00Z")
            }
        }
    }

    func run() throws {
        let text = try vector ?? LineReader.text(of: vectorFile!)
        let query = try Self.parseVector(text)
        let filter = SearchFilter(
            category: category, tags: tag, wasSuccessful: successful,
            since: since.flatMap(Timestamp.parse), until: until.flatMap(Timestamp.parse))
        let response = try database.open().collection(collection).search(
            SearchRequest(tenant: TenantID(tenant), k: k, vector: query, filter: filter))
        if json {
            try JSONOutput.print(response)
        } else {
            Self.printTable(response)
        }
    }

    static func parseVector(_ text: String) throws -> [Float] {
        guard let data = text.data(using: .utf8),
            let values = try? JSONDecoder().decode([Double].self, from: data)
        else { throw CLIError("the query vector must be a JSON array of numbers") }
        return values.map { Float($0) }
    }

    static func printTable(_ response: SearchResponse) {
        print("query \(response.queryId)  \(response.results.count) results  \(String(format: "%.2f", response.tookMs)) ms")
        for result in response.results {
            let p = result.precedent
            let success = p?.wasSuccessful.map { $0 ? "worked" : "failed" } ?? "unknown"
            let outcome = p?.outcome ?? "-"
            let text = p?.text.map { $0.count > 70 ? String($0.prefix(69)) + "…" : $0 } ?? ""
            print(String(format: "%3d  %.4f  ", result.rank, result.score)
                + "\(result.id)  [\(success): \(outcome)]  \(text)")
        }
    }
}
