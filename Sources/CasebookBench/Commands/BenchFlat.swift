import ArgumentParser
import Casebook
import CommandLineSupport
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
    @Option(help: "Interleaved rounds of batch search and bare sgemm.") var rounds = 7
    @Option(help: "Precedents per add() call while ingesting.") var ingestBatch = 10_000
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Stop after ingest (for profiling the write path).") var ingestOnly = false

    struct Report: Encodable {
        var n: Int, dim: Int, k: Int
        var ingestPerSecond: Double
        var floorMs: Double, floorGBps: Double
        var singleP50Ms: Double, singleP99Ms: Double, singleWithPrecedentsP50Ms: Double
        /// Median over groups of (median latency of 10 searches / median floor beside them).
        var singleOverFloor: Double
        var batchQueries: Int, batchSeconds: Double, batchGflops: Double
        var sgemmGflops1Thread: Double, sgemmGflops2Threads: Double
        /// Median over rounds of (best bare sgemm seconds / batch seconds) in the same round.
        var batchOverBestSgemm: Double
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

        log("single queries: \(single) searches, each group of 10 beside a floor reading")
        for q in queryVectors.prefix(20) {  // warm-up
            _ = try collection.search(SearchRequest(tenant: tenant, k: k, vector: q, includePrecedents: false))
        }
        // Groups of 10 searches alternate with 3 streaming reads of the same buffer, and each
        // group is compared with its own floor: the machine is shared, and a paired ratio is
        // robust to load that comes and goes.
        var latencies: [Double] = [], floors: [Double] = [], ratios: [Double] = []
        var checksum: Float = 0
        for group in stride(from: 0, to: single, by: 10) {
            let floor = collection.streamReadSeconds(tenant: tenant, repetitions: 3)
            checksum += floor.checksum
            var groupLatencies: [Double] = []
            for q in queryVectors[group..<min(single, group + 10)] {
                groupLatencies.append(try BenchData.seconds {
                    _ = try collection.search(SearchRequest(tenant: tenant, k: k, vector: q, includePrecedents: false))
                })
            }
            floors += floor.seconds
            latencies += groupLatencies
            ratios.append(BenchData.median(groupLatencies) / BenchData.median(floor.seconds))
        }
        var withPrecedents: [Double] = []
        for q in queryVectors.prefix(single / 3) {
            withPrecedents.append(try BenchData.seconds {
                _ = try collection.search(SearchRequest(tenant: tenant, k: k, vector: q))
            })
        }
        let floorMedian = BenchData.median(floors)
        let floorBytes = n * dim * MemoryLayout<Float>.size

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
        // Paired per round (the same moment's machine load on both sides), then the median.
        let pairedRatio = BenchData.median(zip(batchTimes, zip(sgemm1, sgemm2)).map { batch, bare in
            min(bare.0, bare.1) / batch
        })

        let report = Report(
            n: n, dim: dim, k: k, ingestPerSecond: Double(n) / ingestSeconds,
            floorMs: floorMedian * 1e3, floorGBps: Double(floorBytes) / floorMedian / 1e9,
            singleP50Ms: BenchData.median(latencies) * 1e3,
            singleP99Ms: BenchData.percentile(latencies, 0.99) * 1e3,
            singleWithPrecedentsP50Ms: BenchData.median(withPrecedents) * 1e3,
            singleOverFloor: BenchData.median(ratios),
            batchQueries: queries, batchSeconds: batchSeconds, batchGflops: batchGflops,
            sgemmGflops1Thread: gflops1, sgemmGflops2Threads: gflops2,
            batchOverBestSgemm: pairedRatio,
            peakRssMB: BenchmarkSupport.peakResidentMB())
        _ = checksum
        if json {
            try JSONOutput.print(report)
        } else {
            print(String(format: "ingest: %.0f precedents/s (%d x %d, batches of %d)", report.ingestPerSecond, n, dim, ingestBatch))
            print(String(format: "floor: %.3f ms to stream %.1f MB (%.1f GB/s)", report.floorMs, Double(floorBytes) / 1e6, report.floorGBps))
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
