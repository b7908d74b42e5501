import ArgumentParser
import Casebook
import CommandLineSupport
import Foundation

/// What `search` and `suggest` share: the tenant, the new case (text and context, or a vector),
/// the conditions on precedents, and what the match log records.
struct QueryOptions: ParsableArguments {
    @Option(help: "Tenant whose precedents are read.")
    var tenant: String

    @Option(help: "Query vector as a JSON array, e.g. '[0.1, 0.2]'.")
    var vector: String?

    @Option(help: "File holding the query vector as a JSON array (- for standard input).")
    var vectorFile: String?

    @Option(help: "The new case in words (hashed collections).")
    var text: String?

    @Option(help: "The new case's structured context as a JSON object (hashed collections).")
    var context: String?

    @Option(help: "Hybrid collections, a query of text or context and a vector: the weight of the text-and-context score, 0-1 (default 0.5).")
    var lexicalWeight: Double?

    @Option(help: "The model space the query vector is in: refused unless it is the collection's --space-id.")
    var spaceId: String?

    @Option(help: "IVF collections: inverted lists to scan (default: the collection's).")
    var nprobe: Int?

    @Flag(help: "Scan every row of the tenant (an IVF collection's exact answer; flat is always exact).")
    var exact = false

    @Option(help: "Only precedents of this category.")
    var category: String?

    @Option(help: "Only precedents decided under this policy version.")
    var policyVersion: String?

    @Option(help: "Only precedents that took this action.")
    var action: String?

    @Option(help: "Only precedents with this tag (repeat for all of several).")
    var tag: [String] = []

    @Option(help: "Only successful (true) or unsuccessful (false) precedents.")
    var successful: Bool?

    @Option(help: "Only precedents created at or after this ISO 8601 time.")
    var since: String?

    @Option(help: "Only precedents created before this ISO 8601 time.")
    var until: String?

    @Option(help: "Who asks (agent or user), for the match log.")
    var actor: String?

    @Option(help: "The decision this query serves, for the match log and outcome statistics.")
    var decision: String?

    @Flag(help: "Do not write this query to the match log.")
    var noLog = false

    var featurized: Bool { text != nil || context != nil }

    func validate() throws {
        let vectors = [vector, vectorFile].compactMap { $0 }.count
        // Both a vector and text or context: a hybrid collection's query (others refuse it).
        guard vectors <= 1, vectors + (featurized ? 1 : 0) >= 1 else {
            throw ValidationError("give a query: --vector or --vector-file, and/or --text and --context")
        }
        try TimeOption.check(("--since", since), ("--until", until))
    }

    /// The query vector, when one was given.
    func queryVector() throws -> [Float]? {
        if let vector { return try Self.parseVector(vector) }
        if let vectorFile { return try Self.parseVector(try LineReader.text(of: vectorFile)) }
        return nil
    }

    func parsedContext() throws -> [String: JSONValue]? { try context.map(Self.parseContext) }

    var filter: SearchFilter {
        SearchFilter(
            category: category, policyVersion: policyVersion, action: action, tags: tag, wasSuccessful: successful,
            since: since.flatMap(Timestamp.parse), until: until.flatMap(Timestamp.parse))
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
}
