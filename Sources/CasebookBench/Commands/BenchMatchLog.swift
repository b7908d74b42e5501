import ArgumentParser
import Casebook
import CommandLineSupport
import Foundation

/// What the match log costs a search: the same single queries with logging on and off,
/// alternated in one run, and the log writer's throughput on its own.
struct BenchMatchLog: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matchlog",
        abstract: "Search latency with the match log on vs off (same run, alternated), and log write throughput.")

    @Option(help: "Vectors in the tenant (flat, cosine).") var n = 100_000
    @Option(help: "Dimension.") var dim = 384
    @Option(help: "Queries per mode per round.") var queries = 300
    @Option(help: "Rounds; each runs both modes, in alternating order.") var rounds = 7
    @Option var k = 10
    @Option(help: "Synthetic searches written to measure the log writer.") var writes = 50_000
    @Flag(help: "Print JSON.") var json = false

    struct Report: Encodable {
        var n: Int, dim: Int, k: Int, rounds: Int, queriesPerRound: Int
        /// Medians over rounds of each round's p50.
        var p50LoggedMs: Double, p50UnloggedMs: Double
        /// Median over rounds of (p50 logged / p50 unlogged − 1).
        var overhead: Double
        /// The same for the mean latency, which also carries the writer's bursts (every 200 ms,
        /// on the same core when the process is pinned to one).
        var meanOverhead: Double
        /// Each round's p50s (the machine is shared: rounds drift together).
        var roundsLoggedMs: [Double], roundsUnloggedMs: [Double]
        var logWritesPerSecond: Double, shownRowsPerSecond: Double
    }

    func validate() throws {
        guard n >= k, dim >= 1, queries >= 1, rounds >= 1, k >= 1, writes >= 1 else {
            throw ValidationError("--n (at least --k), --dim, --queries, --rounds, --k and --writes must be positive")
        }
    }

    func run() throws {
        let path = BenchData.temporaryPath("matchlog")
        defer { BenchData.removeDatabase(path) }
        let casebook = try Casebook(path: path)
        let collection = try casebook.createCollection(CollectionSpec(name: "bench", dimension: dim, metric: .cosine))
        BenchData.log("ingesting \(n) x \(dim)")
        let precedents = BenchData.precedents(count: n, dimension: dim, tenant: "bench", seed: 1)
        for start in stride(from: 0, to: n, by: 10_000) {
            try collection.add(Array(precedents[start..<min(n, start + 10_000)]))
        }
        var random = BenchRandom(seed: 3)
        let vectors = (0..<queries).map { _ in random.vector(dim) }
        /// (p50, mean) latency in milliseconds of every query, one mode.
        func latency(log: Bool) throws -> (p50: Double, mean: Double) {
            var milliseconds: [Double] = []
            for vector in vectors {
                milliseconds.append(1e3 * (try BenchData.seconds {
                    _ = try collection.search(SearchRequest(tenant: "bench", k: k, vector: vector, log: log))
                }))
            }
            return (BenchData.median(milliseconds), milliseconds.reduce(0, +) / Double(milliseconds.count))
        }
        _ = try latency(log: false)  // warm-up
        var logged: [Double] = [], unlogged: [Double] = [], ratios: [Double] = [], meanRatios: [Double] = []
        for round in 0..<rounds {
            BenchData.log("round \(round + 1) of \(rounds)")
            let on, off: (p50: Double, mean: Double)
            if round % 2 == 0 {
                on = try latency(log: true)
                off = try latency(log: false)
            } else {
                off = try latency(log: false)
                on = try latency(log: true)
            }
            logged.append(on.p50)
            unlogged.append(off.p50)
            ratios.append(on.p50 / off.p50 - 1)
            meanRatios.append(on.mean / off.mean - 1)
        }
        try casebook.flushMatchLog()
        BenchData.log("writing \(writes) synthetic searches through the log writer")
        let seconds = try casebook.matchLogWriteSeconds(collection: "bench", count: writes, shown: k)
        let report = Report(
            n: n, dim: dim, k: k, rounds: rounds, queriesPerRound: queries, p50LoggedMs: BenchData.median(logged),
            p50UnloggedMs: BenchData.median(unlogged), overhead: BenchData.median(ratios),
            meanOverhead: BenchData.median(meanRatios), roundsLoggedMs: logged, roundsUnloggedMs: unlogged,
            logWritesPerSecond: Double(writes) / seconds, shownRowsPerSecond: Double(writes * k) / seconds)
        if json {
            try JSONOutput.print(report)
        } else {
            print(String(format: "p50 logged %.3f ms, unlogged %.3f ms: overhead %+.2f%% at the median, %+.2f%% in the mean (median of %d rounds)",
                         report.p50LoggedMs, report.p50UnloggedMs, 100 * report.overhead, 100 * report.meanOverhead, rounds))
            print(String(format: "log writer: %.0f searches/s (%.0f shown rows/s)", report.logWritesPerSecond,
                         report.shownRowsPerSecond))
        }
    }
}
