import ArgumentParser
import Casebook
import CommandLineSupport
import Foundation

/// The ANN-benchmarks workload through Casebook's real path: ingest the base file into a database,
/// close, reopen, then answer the query file one query at a time and in batches, with recall
/// against the truth file.
struct BenchAnn: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ann",
        abstract: "Recall, latency and throughput on .fvecs/.bvecs/.npy files (the ANN benchmark formats).",
        discussion: """
            Single queries: --threads client threads each send one query at a time (the \
            latencies of all are pooled; QPS is queries answered per wall-clock second). \
            Batched: all queries in one search(batch:) spread over --threads threads. Without \
            --truth, exact truth is computed first by a separate blocked matrix product.
            """)

    @Option(help: "Base vectors (.fvecs, .bvecs or float32 .npy).") var base: String
    @Option(help: "Query vectors.") var queries: String
    @Option(help: "True neighbour ids (.ivecs or .npy), best first.") var truth: String?
    @Option var k = 10
    @Option(help: "flat or ivf.") var index = "flat"
    @Option(help: "IVF lists (default 1024).") var nlist = 1_024
    @Option(help: "IVF lists probed, comma-separated (one run each); default powers of two up to nlist/4.") var nprobe: String?
    @Option(help: "IVF: principal components for the quantizer (default: none).") var pca: Int?
    @Option(help: "IVF: k-means iterations (default: the index's).") var iterations: Int?
    @Option(help: "IVF: training rows per list (default: the index's).") var samplePerList: Int?
    @Option(help: "cosine, ip or l2.") var metric = "ip"
    @Option(help: "Threads for searching (single-query clients and batch workers).") var threads = 1
    @Option(help: "At most this many queries are used.") var maxQueries = 10_000
    @Option(help: "Timed rounds of the whole batch (the median is reported).") var rounds = 3
    @Option(help: "Keep the database here (must not exist) instead of a temporary file.") var db: String?
    @Flag(help: "Print one JSON object.") var json = false

    struct Report: Encodable {
        var system = "casebook"
        var index: String
        var n: Int, dim: Int, k: Int
        var metric: String
        var threads: Int
        var queries: Int
        var ingestSeconds: Double, openSeconds: Double, trainSeconds: Double
        /// IVF: lists, seconds filing every row into its list (in memory, faiss's `add`), and
        /// writing the training to the database.
        var nlist: Int?
        var addSeconds: Double?
        var storeSeconds: Double?
        var pca: Int?
        var truthSeconds: Double?
        var peakRssMB: Double?
        var runs: [AnnRun]
    }

    func validate() throws {
        guard index == "flat" || index == "ivf" else { throw ValidationError("--index is flat or ivf") }
        guard (1...SearchRequest.maxK).contains(k) else { throw ValidationError("--k must be 1...\(SearchRequest.maxK)") }
        guard threads >= 1, rounds >= 1, maxQueries >= 1 else { throw ValidationError("--threads, --rounds and --max-queries must be positive") }
        guard Metric(name: metric) != nil else { throw ValidationError("unknown metric \"\(metric)\"") }
        if let db, FileManager.default.fileExists(atPath: db) { throw ValidationError("--db \(db) exists; give a new path") }
        guard index == "ivf" || (nprobe == nil && pca == nil) else { throw ValidationError("--nprobe and --pca are for --index ivf") }
        guard nlist >= 1 else { throw ValidationError("--nlist must be positive") }
        if let nprobe, probes(nprobe) == nil { throw ValidationError("--nprobe takes positive integers separated by commas") }
    }

    private func probes(_ text: String) -> [Int]? {
        let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) >= 1 }) else { return nil }
        return values.map { $0! }
    }

    /// 1, 2, 4, ... up to nlist / 4.
    private var defaultProbes: [Int] {
        var values = [1]
        while values.last! * 2 <= max(1, nlist / 4) { values.append(values.last! * 2) }
        return values
    }

    func run() throws {
        let metric = Metric(name: metric)!
        let baseVectors = try VectorFile.readFloats(base)
        let queryVectors = try VectorFile.readFloats(queries).prefix(maxQueries)
        guard baseVectors.dimension == queryVectors.dimension else {
            throw CLIError("\(queries) has dimension \(queryVectors.dimension), \(base) has \(baseVectors.dimension)")
        }
        var truthSeconds: Double?
        var truthIDs: Int32Matrix
        if let truth {
            truthIDs = try VectorFile.readInts(truth)
            guard truthIDs.rowCount >= queryVectors.rowCount else {
                throw CLIError("\(truth) has \(truthIDs.rowCount) rows for \(queryVectors.rowCount) queries")
            }
            guard truthIDs.dimension >= k else { throw CLIError("\(truth) holds \(truthIDs.dimension) neighbours per query, fewer than --k \(k)") }
        } else {
            BenchData.log("no --truth: computing exact top-\(k) first")
            var computed = Int32Matrix(rowCount: 0, dimension: k, values: [])
            truthSeconds = BenchData.seconds {
                computed = ExactNeighbors.compute(base: baseVectors, queries: queryVectors, k: k, metric: metric)
            }
            truthIDs = computed
        }

        let path = db ?? BenchData.temporaryPath("ann")
        defer { if db == nil { BenchData.removeDatabase(path) } }
        // Training and batches use --threads cores, as the peers are given.
        Casebook.workerThreads = threads
        var parameters = IVFParameters(nlist: nlist, pcaDimension: pca)
        if let iterations { parameters.iterations = iterations }
        if let samplePerList { parameters.sampleRowsPerList = samplePerList }
        let config: IndexConfig = index == "ivf" ? .ivf(parameters) : .flat
        let ingestSeconds = try BenchData.seconds { try AnnWorkload.ingest(baseVectors, into: path, metric: metric, index: config) }
        var training: IndexTrainingReport?
        if index == "ivf" {
            BenchData.log("training \(nlist) lists")
            training = try Casebook(path: path).collection(AnnWorkload.collection).trainIndex()
        }
        var collection: PrecedentCollection?
        let openSeconds = try BenchData.seconds { collection = try Casebook(path: path).collection(AnnWorkload.collection) }
        guard let collection else { return }

        var runs: [AnnRun] = []
        let settings: [Int?] = index == "ivf" ? (nprobe.flatMap(probes) ?? defaultProbes) : [nil]
        for setting in settings {
            let workload = AnnWorkload(collection: collection, queries: queryVectors, k: k, threads: threads, nprobe: setting)
            BenchData.log("single queries on \(threads) thread(s)\(setting.map { ", nprobe \($0)" } ?? "")")
            let single = try workload.singleQueries()
            BenchData.log("batched queries, \(rounds) rounds")
            let batchQPS = try workload.batchQPS(rounds: rounds)
            let recall = Recall.mean(k: k, returned: single.ids, truth: truthIDs, base: baseVectors, queries: queryVectors, metric: metric)
            runs.append(AnnRun(nprobe: setting, recall: recall, single: single.timing, batch: .init(qps: batchQPS)))
        }

        let report = Report(
            index: index, n: baseVectors.rowCount, dim: baseVectors.dimension, k: k, metric: metric.rawValue,
            threads: threads, queries: queryVectors.rowCount, ingestSeconds: ingestSeconds,
            openSeconds: openSeconds, trainSeconds: training?.trainSeconds ?? 0, nlist: training?.nlist,
            addSeconds: training?.fileSeconds, storeSeconds: training?.storeSeconds, pca: training?.pcaDimension,
            truthSeconds: truthSeconds, peakRssMB: BenchmarkSupport.peakResidentMB(), runs: runs)
        if json {
            try JSONOutput.print(report)
        } else {
            print(String(format: "%@ %d x %d, %d queries, k=%d, %@, %d thread(s)", index, report.n, report.dim, report.queries, k, metric.rawValue, threads))
            print(String(format: "ingest %.2f s, open %.2f s, peak RSS %.0f MB", ingestSeconds, openSeconds, report.peakRssMB ?? .nan))
            if let training {
                print(String(format: "trained %d lists: k-means %.2f s, filing %.2f s, storing %.2f s", training.nlist,
                             training.trainSeconds, training.fileSeconds, training.storeSeconds ?? 0))
            }
            for run in report.runs {
                let probe = run.nprobe.map { "nprobe \($0) " } ?? ""
                print(String(format: "%@recall@%d %.4f | single %.1f QPS, p50 %.3f ms, p99 %.3f ms | batch %.1f QPS",
                             probe, k, run.recall, run.single.qps, run.single.p50Ms, run.single.p99Ms, run.batch.qps))
            }
        }
    }
}

/// One row of a benchmark report: a setting of nprobe (null for exact search) and its figures.
struct AnnRun: Encodable {
    struct Single: Encodable { var qps: Double, p50Ms: Double, p99Ms: Double }
    struct Batch: Encodable { var qps: Double }

    var nprobe: Int?
    var recall: Double
    var single: Single
    var batch: Batch

    enum CodingKeys: String, CodingKey { case nprobe, recall, single, batch }

    /// `nprobe` is written as null rather than left out, so every report has the same keys.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(nprobe, forKey: .nprobe)
        try container.encode(recall, forKey: .recall)
        try container.encode(single, forKey: .single)
        try container.encode(batch, forKey: .batch)
    }
}

/// The timed parts of `bench ann`: ingest, concurrent single queries, batched queries.
struct AnnWorkload {
    static let collection = "ann"
    static let tenant: TenantID = "bench"

    let collection: PrecedentCollection
    let queries: FloatMatrix
    let k: Int
    let threads: Int
    /// IVF lists probed (nil: flat).
    var nprobe: Int? = nil

    /// Adds every base row as a precedent with id = its row number, in transactions of 50,000.
    static func ingest(_ base: FloatMatrix, into path: String, metric: Metric, index: IndexConfig = .flat) throws {
        let casebook = try Casebook(path: path)
        let collection = try casebook.createCollection(
            CollectionSpec(name: Self.collection, dimension: base.dimension, metric: metric, index: index))
        let chunk = 50_000
        for start in stride(from: 0, to: base.rowCount, by: chunk) {
            let end = min(base.rowCount, start + chunk)
            try collection.add((start..<end).map { row in
                Precedent(id: PrecedentID("\(row)"), tenant: tenant, vector: Array(base.row(row)))
            })
            BenchData.log("ingested \(end) / \(base.rowCount)")
        }
    }

    /// Each of `threads` client threads answers every threads-th query, one at a time.
    func singleQueries() throws -> (ids: [[Int32]], timing: AnnRun.Single) {
        try ConcurrentQueries.run(count: queries.rowCount, threads: threads) { q in try search(q) }
    }

    /// Queries per second of the whole query set in batches of at most 10,000, median of `rounds`.
    func batchQPS(rounds: Int) throws -> Double {
        let vectors = (0..<queries.rowCount).map { Array(queries.row($0)) }
        let batches = stride(from: 0, to: vectors.count, by: BatchSearchRequest.maxQueries).map {
            BatchSearchRequest(
                tenant: Self.tenant, k: k, vectors: Array(vectors[$0..<min(vectors.count, $0 + BatchSearchRequest.maxQueries)]),
                includePrecedents: false, nprobe: nprobe)
        }
        for batch in batches { _ = try collection.search(batch: batch) }  // warm-up
        var times: [Double] = []
        for _ in 0..<rounds {
            times.append(try BenchData.seconds { for batch in batches { _ = try collection.search(batch: batch) } })
        }
        return Double(vectors.count) / BenchData.median(times)
    }

    private func search(_ q: Int) throws -> [Int32] {
        let response = try collection.search(SearchRequest(
            tenant: Self.tenant, k: k, vector: Array(queries.row(q)), includePrecedents: false, nprobe: nprobe))
        return response.results.map { Int32($0.id.rawValue) ?? -1 }
    }
}
