import ArgumentParser
import Casebook
import CommandLineSupport
import Foundation

/// An existing database as a user meets it after an import: the time to open it until the first
/// answer, then single-query latency of tenant-wide searches (no filter), one at a time.
struct BenchSearch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Open a database, then time tenant-wide top-k searches of the given queries.",
        discussion: """
            Queries are precedents (text, context or vector), searched in --tenant (or their own \
            tenant) without a filter and without logging, --rounds times over the file; p50 and \
            p99 of each search's time in this process. Peak RSS is this process's, after opening.
            """)

    @Option(help: "Database file or postgresql:// URL.") var db: String
    @Option var collection: String
    @Option(help: "Queries (JSONL precedents).") var queries: String
    @Option(help: "Search this tenant instead of each query's own.") var tenant: String?
    @Option var k = 10
    @Option(help: "Passes over the queries.") var rounds = 3
    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "Write each query's result ids and scores here (JSONL, first round), to compare runs.")
    var hitsOut: String?

    struct Hits: Encodable {
        var ids: [String]
        var scores: [Float]
    }

    struct Report: Encodable {
        var rows: Int
        var queries: Int
        var k: Int
        var openSeconds: Double
        var p50Ms: Double
        var p99Ms: Double
        var exact: Bool
        var peakRssMB: Double?
    }

    func run() throws {
        let held = try BenchQuality.read(queries)
        guard !held.isEmpty else { throw CLIError("no queries in \(queries)") }
        let started = Date()
        let target = try Casebook(path: db, collections: [collection]).collection(collection)
        func request(_ query: Precedent) -> SearchRequest {
            SearchRequest(
                tenant: tenant.map(TenantID.init(rawValue:)) ?? query.tenant, k: k, vector: query.vector, text: query.text,
                context: query.context, includePrecedents: false, log: false)
        }
        _ = try target.search(request(held[0]))
        let openSeconds = Date().timeIntervalSince(started)
        var times: [Double] = []
        var exact = true
        var hits = ""
        for round in 0..<rounds {
            for query in held {
                let begin = DispatchTime.now().uptimeNanoseconds
                let answer = try target.search(request(query))
                times.append(Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e6)
                exact = exact && answer.exact
                if round == 0, hitsOut != nil {
                    let line = Hits(ids: answer.results.map(\.id.rawValue), scores: answer.results.map(\.score))
                    hits += String(decoding: try JSONEncoder().encode(line), as: UTF8.self) + "\n"
                }
            }
        }
        if let hitsOut { try hits.write(toFile: hitsOut, atomically: true, encoding: .utf8) }
        let report = Report(
            rows: target.count, queries: held.count, k: k, openSeconds: openSeconds,
            p50Ms: BenchData.median(times), p99Ms: BenchData.percentile(times, 0.99), exact: exact,
            peakRssMB: BenchmarkSupport.peakResidentMB())
        if json {
            try JSONOutput.print(report)
        } else {
            print("\(report.rows) rows: open \(String(format: "%.2f", openSeconds)) s; top-\(k) p50 \(String(format: "%.2f", report.p50Ms)) ms, p99 \(String(format: "%.2f", report.p99Ms)) ms over \(times.count) searches; peak RSS \(report.peakRssMB.map { String(format: "%.0f", $0) } ?? "?") MB")
        }
    }
}
