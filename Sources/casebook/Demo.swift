import ArgumentParser
import Casebook
import CommandLineSupport
import Foundation

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load the sample precedents into a fresh database and show a few explained searches.",
        discussion: """
            Creates the database (refusing an existing file unless --replace), a hashed-v1 collection \
            "precedents", adds data/sample-precedents.jsonl (NDR resolutions and credit overrides of \
            four tenants) and asks, for three new cases, which past decisions look most like them, \
            what was done and whether it worked, and what to do now (a suggestion).
            """)

    @Option(help: "Database file to create.")
    var db = "casebook-demo.sqlite"

    @Flag(help: "Delete the database file first if it exists.")
    var replace = false

    @Option(help: "Sample precedents (JSONL); default: data/sample-precedents.jsonl here, else beside the casebook binary (its source tree, or ../share/casebook).")
    var data: String?

    @Option(help: "Vector dimension of the hashed-v1 collection.")
    var dims = HashedNGramEmbedder.defaultDimension

    /// New cases an agent might bring, one per kind of decision.
    static let cases: [(title: String, tenant: String, category: String, text: String, context: [String: JSONValue])] = [
        ("NDR: COD order, customer not answering, first attempt", "acme-retail", "ndr_resolution",
         "Customer not answering the phone, first delivery attempt failed",
         ["reason": "customer_unreachable", "paymentMode": "cod", "attempts": 1, "orderValue": 1450, "carrier": "delhivery",
          "pincode": "560001", "metro": true]),
        ("NDR: rider could not find a village address", "globex-fashion", "ndr_resolution",
         "Address incomplete, village with no plot number; rider could not locate it",
         ["reason": "address_incomplete", "paymentMode": "cod", "attempts": 2, "orderValue": 650, "metro": false]),
        ("Credit: new dealer, first order far above the limit", "acme-retail", "credit_override",
         "New account placing a large first order, well above its credit limit",
         ["customerTier": "standard", "tenureMonths": 3, "limitUtilisation": 1.45, "overdueDays": 0, "orderValue": 240000]),
    ]

    /// Where the sample data is looked for when `--data` is not given: the working directory (a
    /// checkout), then beside the binary: `.build/<config>/casebook` in a checkout, or an
    /// installed `bin/casebook` with `share/casebook/` beside `bin/`.
    static func sampleCandidates(executable: String) -> [String] {
        let binary = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        return [
            "data/sample-precedents.jsonl",
            binary.appendingPathComponent("../../data/sample-precedents.jsonl").standardized.path,
            binary.appendingPathComponent("../../../data/sample-precedents.jsonl").standardized.path,
            binary.appendingPathComponent("../share/casebook/sample-precedents.jsonl").standardized.path,
        ]
    }

    func sampleFile() throws -> String {
        if let data { return data }
        let candidates = Self.sampleCandidates(executable: CommandLine.arguments[0])
        guard let found = candidates.first(where: { FileManager.default.isReadableFile(atPath: $0) }) else {
            throw CLIError("the sample data is not here nor beside the binary (looked at \(candidates.joined(separator: ", "))): "
                + "pass --data FILE")
        }
        return found
    }

    func run() throws {
        let manager = FileManager.default
        if manager.fileExists(atPath: db) {
            guard replace else { throw CLIError("\(db) exists: pass --replace to start it afresh, or choose --db") }
            for suffix in ["", "-wal", "-shm"] { try? manager.removeItem(atPath: db + suffix) }
        }
        // Read everything before the database exists: a missing or bad file leaves nothing behind.
        let data = try sampleFile()
        var batch: [Precedent] = []
        try LineReader.forEachLine(of: data) { number, line in
            guard line.contains(where: { !$0.isWhitespace }) else { return }
            do { batch.append(try Precedent(jsonText: line)) } catch { throw CLIError("\(data) line \(number): \(error)") }
        }
        guard !batch.isEmpty else { throw CLIError("no precedents in \(data)") }
        do {
            try show(batch)
        } catch {
            // A demo that failed half-way leaves no database to trip over next time.
            if !db.contains("://") { for suffix in ["", "-wal", "-shm"] { try? manager.removeItem(atPath: db + suffix) } }
            throw error
        }
    }

    private func show(_ batch: [Precedent]) throws {
        let casebook = try Casebook(path: db)
        let collection = try casebook.createCollection(
            CollectionSpec(name: "precedents", dimension: dims, embedder: .hashedV1()))
        let started = Date()
        try collection.add(batch)
        let seconds = Date().timeIntervalSince(started)
        print("Loaded \(batch.count) precedents of \(collection.tenants.count) tenants into \(casebook.path) "
            + "(hashed-v1, \(dims) dims) in \(String(format: "%.2f", seconds)) s, embedding included.\n")

        for demoCase in Self.cases {
            let response = try collection.search(SearchRequest(
                tenant: TenantID(demoCase.tenant), k: 10, text: demoCase.text, context: demoCase.context,
                filter: SearchFilter(category: demoCase.category), explain: true))
            print("== \(demoCase.title)  (tenant \(demoCase.tenant))")
            print("   \"\(demoCase.text)\"")
            print(String(format: "   %.2f ms; the 3 closest of 10:", response.tookMs))
            for result in response.results.prefix(3) {
                Search.printTable(SearchResponse(
                    queryId: response.queryId, exact: response.exact, tookMs: response.tookMs, results: [result]),
                    header: false)
            }
            let suggestion = try collection.suggest(SuggestRequest(
                tenant: TenantID(demoCase.tenant), text: demoCase.text, context: demoCase.context,
                filter: SearchFilter(category: demoCase.category)))
            print("   What the \(suggestion.considered) closest with a known outcome did, and how it went:")
            Suggest.printReport(suggestion, indent: "   ")
            print("")
        }
        try casebook.flushMatchLog()
        print("Try your own: casebook suggest --db \(casebook.path) --collection precedents --tenant acme-retail "
            + "--category ndr_resolution --text 'customer refused, wrong size' --context '{\"paymentMode\": \"prepaid\"}'")
        print("          or: casebook search --db \(casebook.path) --collection precedents --tenant acme-retail "
            + "--text 'customer refused, wrong size' --context '{\"paymentMode\": \"prepaid\"}' --explain")
    }
}
