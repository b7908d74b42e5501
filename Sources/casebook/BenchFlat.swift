import ArgumentParser
@_spi(Benchmarks) import Casebook
import Foundation

/// The flat index's numbers, each beside its physical or library peer measured in the same run:
/// ingest rate, single-query latency against the streaming-read floor of the same buffer, and
/// batched throughput against a bare `cblas_sgemm` of the same shape.
struct BenchFlat: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flat", abstract: "Ingest, single-query and batched exact search over one tenant.")

    @Option(help: "Vectors in the tenant.") var n = 100_000
    @Option(help: "Dimension.") var dim = 384
    @Option(help: "Queries in the batch.") var queries = 1_000
    @Option(help: "Single queries timed.") var single = 300
    @Option var k = 10
    @Option(help: "Interleaved rounds of batch search and bare sgemm.") var rounds = 5
    @Option(help: "Precedents per add() call while ingesting.") var ingestBatch = 10_000
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Stop after ingest (for profiling the write path).") var ingestOnly = false

    struct Report: Encodable {
        var n: Int, dim: Int, k: Int
        var ingestPerSecond: Double
        var floorMs: Double, floorGBps: Double
        var singleP50Ms: Double, singleP99Ms: Double, singleWithPrecedentsP50Ms: Double
        var singleOverFloor: Double
        var batchQueries: Int, batchSeconds: Double, batchGflops: Double
        var sgemmGflops1Thread: Double, sgemmGflops2Threads: Double, batchOverBestSgemm: Double
        var peakRssMB: Double?
    }

    func run() throws {
        let tenant: TenantID = "bench"
        let path = BenchData.temporaryPath("flat")
        defer { BenchData.removeDatabase(path) }
        let casebook = try Casebook(path: path)
        let collection = try casebook.createCollection(CollectionSpec(name: "bench", dimension: dim, metric: .cosine))
        log("generating \(n) x \(dim) vectors")
        let precedents = BenchData.precedents(count: n, dimension: dim, tenant: tenant, seed: 1)

        log("ingesting through PrecedentCollection.add in batches of \(ingestBatch)")
        let ingestSeconds = try BenchData.seconds {
            for start in stride(from: 0, to: n, by: ingestBatch) {
                try collection.add(Array(precedents[start..<min(n, start + ingestBatch)]))
            }
        }

        if ingestOnly {
            print(String(format: "ingest: %.0f precedents/s (%d x %d, batches of %d)", Double(n) / ingestSeconds, n, dim, ingestBatch))
            return
        }
        var random = BenchRandom(seed: 2)
        let queryVectors = (0..<max(queries, single)).map { _ in random.vector(dim) }

        log("single queries: floor, then \(single) searches")
        let floor = collection.streamReadSeconds(tenant: tenant, repetitions: 30)
        for q in queryVectors.prefix(20) {  // warm-up
            _ = try collection.search(SearchRequest(tenant: tenant, k: k, vector: q, includePrecedents: false))
        }
        var latencies: [Double] = []
        for q in queryVectors.prefix(single) {
            latencies.append(try BenchData.seconds {
                _ = try collection.search(SearchRequest(tenant: tenant, k: k, vector: q, includePrecedents: false))
            })
        }
        var withPrecedents: [Double] = []
        for q in queryVectors.prefix(single / 3) {
            withPrecedents.append(try BenchData.seconds {
                _ = try collection.search(SearchRequest(tenant: tenant, k: k, vector: q))
            })
        }
        // The floor again, after the searches, so drift in machine load shows up in the median.
        let floorAfter = collection.streamReadSeconds(tenant: tenant, repetitions: 30)
        let floorMedian = BenchData.median(floor.seconds + floorAfter.seconds)

        log("batched: \(queries) queries, and bare sgemm of the same shape")
        let batch = BatchSearchRequest(
            tenant: tenant, k: k, vectors: Array(queryVectors.prefix(queries)), includePrecedents: false)
        _ = try collection.search(batch: batch)
        // Rounds interleave the three measurements so that load from other tenants of this
        // machine affects them alike; medians over the rounds are compared.
        let probe = BenchmarkSupport.SgemmProbe(m: queries, n: n, d: dim)
        var batchTimes: [Double] = [], sgemm1: [Double] = [], sgemm2: [Double] = []
        for _ in 0..<rounds {
            batchTimes.append(try BenchData.seconds { _ = try collection.search(batch: batch) })
            sgemm2.append(probe.seconds(threads: 2))
            sgemm1.append(probe.seconds(threads: 1))
        }
        let flops = 2 * Double(queries) * Double(n) * Double(dim)
        let batchSeconds = BenchData.median(batchTimes)
        let gflops1 = flops / BenchData.median(sgemm1) / 1e9
        let gflops2 = flops / BenchData.median(sgemm2) / 1e9
        let batchGflops = flops / batchSeconds / 1e9

        let report = Report(
            n: n, dim: dim, k: k, ingestPerSecond: Double(n) / ingestSeconds,
            floorMs: floorMedian * 1e3, floorGBps: Double(floor.bytes) / floorMedian / 1e9,
            singleP50Ms: BenchData.median(latencies) * 1e3,
            singleP99Ms: BenchData.percentile(latencies, 0.99) * 1e3,
            singleWithPrecedentsP50Ms: BenchData.median(withPrecedents) * 1e3,
            singleOverFloor: BenchData.median(latencies) / floorMedian,
            batchQueries: queries, batchSeconds: batchSeconds, batchGflops: batchGflops,
            sgemmGflops1Thread: gflops1, sgemmGflops2Threads: gflops2,
            batchOverBestSgemm: batchGflops / max(gflops1, gflops2),
            peakRssMB: BenchmarkSupport.peakResidentMB())
        _ = floor.checksum + floorAfter.checksum
        if json {
            try JSONOutput.print(report)
        } else {
            print(String(format: "ingest: %.0f precedents/s (%d x %d, batches of %d)", report.ingestPerSecond, n, dim, ingestBatch))
            print(String(format: "floor: %.3f ms to stream %.1f MB (%.1f GB/s)", report.floorMs, Double(floor.bytes) / 1e6, report.floorGBps))
            print(String(format: "single top-%d: p50 %.3f ms, p99 %.3f ms, %.2fx floor; with precedents p50 %.3f ms",
                         k, report.singleP50Ms, report.singleP99Ms, report.singleOverFloor, report.singleWithPrecedentsP50Ms))
            print(String(format: "batch of %d: %.3f s, %.1f GFLOP/s; bare sgemm %.1f (1 thread) / %.1f (2 threads) GFLOP/s; ratio to best %.2f",
                         queries, batchSeconds, batchGflops, gflops1, gflops2, report.batchOverBestSgemm))
            if let rss = report.peakRssMB { print(String(format: "peak RSS: %.0f MB", rss)) }
        }
    }

    func log(_ message: String) {
        FileHandle.standardError.write(Data("bench: \(message)\n".utf8))
    }
}
