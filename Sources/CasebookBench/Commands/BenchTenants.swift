import ArgumentParser
import Casebook
import CommandLineSupport
import Foundation
import Synchronization

/// The multi-tenant workload: every query is scoped to one tenant of many with Zipf-like sizes,
/// with and without a category filter of about 1% selectivity, recall against exact filtered
/// search. Data comes from `casebook bench generate --tenants T`.
struct BenchTenants: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenants",
        abstract: "Tenant-scoped top-k with and without a ~1% category filter (data from bench generate --tenants).")

    @Option(help: "Directory written by `casebook bench generate --tenants T`.") var data: String
    @Option var k = 10
    @Option(help: "flat or ivf (trained after ingest).") var index = "flat"
    @Option(help: "IVF lists.") var nlist = 1_024
    @Option(help: "IVF lists probed per query (default: the index's).") var nprobe: Int?
    @Option(help: "IVF: tenants with fewer rows are searched flat.") var flatThreshold = IVFParameters().flatThreshold
    @Option(help: "cosine, ip or l2.") var metric = "ip"
    @Option(help: "Client threads sending single queries.") var threads = 1
    @Option(help: "At most this many queries are used.") var maxQueries = 10_000
    @Flag(help: "Print one JSON object.") var json = false

    struct Report: Encodable {
        var system = "casebook"
        var index: String
        var n: Int, dim: Int, k: Int, tenants: Int
        var metric: String
        var threads: Int
        var queries: Int
        var largestTenant: Int, medianTenant: Int
        var ingestSeconds: Double, openSeconds: Double, trainSeconds: Double
        var peakRssMB: Double?
        var runs: [Run]
    }

    struct Run: Encodable {
        var filter: String
        /// Mean share of the query's tenant that passes the filter.
        var selectivity: Double
        var recall: Double
        /// Share of queries answered exactly (always 1 for flat; IVF falls back to an exact scan
        /// when the probed lists hold fewer than k rows passing the filter).
        var exactShare: Double
        var single: AnnRun.Single
    }

    func validate() throws {
        guard (1...SearchRequest.maxK).contains(k) else { throw ValidationError("--k must be 1...\(SearchRequest.maxK)") }
        guard threads >= 1, maxQueries >= 1 else { throw ValidationError("--threads and --max-queries must be positive") }
        guard Metric(name: metric) != nil else { throw ValidationError("unknown metric \"\(metric)\"") }
        guard index == "flat" || index == "ivf" else { throw ValidationError("--index is flat or ivf") }
        guard index == "ivf" || nprobe == nil else { throw ValidationError("--nprobe is for --index ivf") }
    }

    func run() throws {
        let metric = Metric(name: metric)!
        func file(_ name: String) -> String { (data as NSString).appendingPathComponent(name) }
        let base = try VectorFile.readFloats(file("base.fvecs"))
        let queries = try VectorFile.readFloats(file("queries.fvecs")).prefix(maxQueries)
        let labels = try TenantLabels(VectorFile.readInts(file("labels.ivecs")), path: file("labels.ivecs"))
        let queryLabels = try TenantLabels(VectorFile.readInts(file("query_labels.ivecs")), path: file("query_labels.ivecs"))
        let truth = try VectorFile.readInts(file("truth.ivecs"))
        let filteredTruth = try VectorFile.readInts(file("truth_filtered.ivecs"))
        guard labels.tenants.count == base.rowCount, queryLabels.tenants.count >= queries.rowCount,
              truth.rowCount >= queries.rowCount, filteredTruth.rowCount >= queries.rowCount
        else { throw CLIError("\(data): labels or truth do not match the vectors' row counts") }

        let path = BenchData.temporaryPath("tenants")
        defer { BenchData.removeDatabase(path) }
        let ingestSeconds = try BenchData.seconds { try ingest(base, labels: labels, path: path, metric: metric) }
        var trainSeconds = 0.0
        if index == "ivf" {
            BenchData.log("training \(nlist) lists")
            trainSeconds = try BenchData.seconds { try Casebook(path: path).collection("tenants").trainIndex(nlist: nlist) }
        }
        var opened: PrecedentCollection?
        let openSeconds = try BenchData.seconds { opened = try Casebook(path: path).collection("tenants") }
        guard let collection = opened else { return }

        var sizes: [Int32: Int] = [:]
        var categorySizes: [Int64: Int] = [:]
        for (tenant, category) in zip(labels.tenants, labels.categories) {
            sizes[tenant, default: 0] += 1
            categorySizes[Int64(tenant) << 32 | Int64(category), default: 0] += 1
        }
        var runs: [Run] = []
        for filtered in [false, true] {
            BenchData.log("tenant-scoped single queries, \(filtered ? "category filter" : "no filter"), \(threads) thread(s)")
            // Per query, not per call: the runner may answer a query more than once (warm-up).
            let exact = Mutex([Bool](repeating: false, count: queries.rowCount))
            let answers = try ConcurrentQueries.run(count: queries.rowCount, threads: threads) { q in
                let filter = filtered ? SearchFilter(category: "c\(queryLabels.categories[q])") : SearchFilter()
                let response = try collection.search(SearchRequest(
                    tenant: TenantID("t\(queryLabels.tenants[q])"), k: k, vector: Array(queries.row(q)),
                    filter: filter, includePrecedents: false, nprobe: nprobe))
                let answeredExactly = response.exact
                exact.withLock { $0[q] = answeredExactly }
                return response.results.map { Int32($0.id.rawValue) ?? -1 }
            }
            let selectivity = (0..<queries.rowCount).map { q -> Double in
                let tenant = queryLabels.tenants[q]
                guard filtered, let size = sizes[tenant] else { return 1 }
                return Double(categorySizes[Int64(tenant) << 32 | Int64(queryLabels.categories[q])] ?? 0) / Double(size)
            }.reduce(0, +) / Double(queries.rowCount)
            runs.append(Run(
                filter: filtered ? "category" : "none", selectivity: selectivity,
                recall: Recall.mean(k: k, returned: answers.ids, truth: filtered ? filteredTruth : truth,
                                    base: base, queries: queries, metric: metric),
                exactShare: Double(exact.withLock { $0.filter { $0 }.count }) / Double(queries.rowCount), single: answers.timing))
        }
        let ordered = sizes.values.sorted()
        let report = Report(
            index: index, n: base.rowCount, dim: base.dimension, k: k, tenants: sizes.count, metric: metric.rawValue,
            threads: threads, queries: queries.rowCount, largestTenant: ordered.last ?? 0,
            medianTenant: ordered.isEmpty ? 0 : ordered[ordered.count / 2], ingestSeconds: ingestSeconds,
            openSeconds: openSeconds, trainSeconds: trainSeconds, peakRssMB: BenchmarkSupport.peakResidentMB(), runs: runs)
        if json {
            try JSONOutput.print(report)
        } else {
            print("\(report.n) x \(report.dim) over \(report.tenants) tenants (largest \(report.largestTenant), median \(report.medianTenant)); \(report.queries) queries, \(threads) thread(s)")
            for run in runs {
                print(String(format: "filter %@ (%.2f%% of tenant): recall@%d %.4f (%.0f%% exact), %.1f QPS, p50 %.3f ms, p99 %.3f ms",
                             run.filter, run.selectivity * 100, k, run.recall, run.exactShare * 100, run.single.qps,
                             run.single.p50Ms, run.single.p99Ms))
            }
        }
    }

    /// Row i becomes precedent "i" of tenant "t<tenant>" with category "c<category>".
    private func ingest(_ base: FloatMatrix, labels: TenantLabels, path: String, metric: Metric) throws {
        let collection = try Casebook(path: path).createCollection(
            CollectionSpec(name: "tenants", dimension: base.dimension, metric: metric,
                           index: index == "ivf" ? .ivf(IVFParameters(nlist: nlist, flatThreshold: flatThreshold)) : .flat))
        let chunk = 50_000
        for start in stride(from: 0, to: base.rowCount, by: chunk) {
            let end = min(base.rowCount, start + chunk)
            try collection.add((start..<end).map { row in
                Precedent(
                    id: PrecedentID("\(row)"), tenant: TenantID("t\(labels.tenants[row])"),
                    category: "c\(labels.categories[row])", vector: Array(base.row(row)))
            })
            BenchData.log("ingested \(end) / \(base.rowCount)")
        }
    }
}
