import ArgumentParser
import Casebook
import CommandLineSupport
import Foundation
import Synchronization

/// PostgreSQL beside SQLite, on the same data in the same run: ingest rate (rounds alternated),
/// time from open to the first answered search, single-search latency of a node on each store
/// (blocks alternated), and the lag between a write acknowledged by one node and its arrival on
/// another that follows the feed. Databases are made on the server of `--url` and dropped after.
struct BenchPostgres: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres",
        abstract: "PostgreSQL beside SQLite: ingest, open, search latency, and change propagation between two nodes.")

    @Option(help: "A PostgreSQL server (its database is only used to create and drop the benchmark's own).")
    var url: String
    @Option(help: "Rows for ingest and search.") var rows = 100_000
    @Option(help: "Rows of the database opened from PostgreSQL (the load until searchable).") var loadRows = 1_000_000
    @Option var dim = 128
    @Option(help: "Tenants the rows are spread over.") var tenants = 10
    @Option(help: "Precedents per add.") var batch = 1_000
    @Option(help: "Ingest rounds per store, alternated.") var rounds = 3
    @Option(help: "Searches per block; blocks alternate between the stores.") var queries = 500
    @Option(help: "Blocks per store.") var blocks = 6
    @Option(help: "Precedents added per second while the lag is measured.") var rate = 1_000
    @Option(help: "Writes per second (the rate is split into batches).") var writesPerSecond = 20
    @Option(help: "Seconds of the lag measurement.") var seconds = 20.0
    @Flag var json = false

    struct Report: Encodable {
        var rows: Int, dim: Int, tenants: Int, batch: Int
        var ingestRowsPerSecond: [String: [Double]]
        var ingestMedian: [String: Double]
        var loadRows: Int
        var openSeconds: [String: Double]
        var searchP50Ms: [String: [Double]]
        var searchP99Ms: [String: [Double]]
        var searchMedianP50Ms: [String: Double]
        var lagRate: Int, lagBatches: Int
        var lagP50Ms: Double, lagP99Ms: Double, lagMaxMs: Double
        var peakRssMB: Double?
    }

    func run() throws {
        Casebook.workerThreads = 1
        let server = try PostgresServer(url: url)
        var made: [String] = []
        var files: [String] = []
        defer {
            for name in made { server.drop(name) }
            for file in files { BenchData.removeDatabase(file) }
        }
        func newPostgres(_ label: String) throws -> String {
            let name = "casebook_bench_\(label)_\(UInt32.random(in: 0...UInt32.max))"
            try server.create(name)
            made.append(name)
            return server.url(database: name)
        }
        func newSQLite(_ label: String) -> String {
            let path = BenchData.temporaryPath(label)
            files.append(path)
            return path
        }

        // Ingest, alternated: SQLite, PostgreSQL, SQLite, ...
        var ingest: [String: [Double]] = ["sqlite": [], "postgres": []]
        var last: [String: String] = [:]
        for round in 0..<rounds {
            for store in ["sqlite", "postgres"] {
                let location = store == "sqlite" ? newSQLite("ingest\(round)") : try newPostgres("ingest\(round)")
                let seconds = try build(location, rows: rows)
                ingest[store]!.append(Double(rows) / seconds)
                last[store] = location
                BenchData.log(String(format: "ingest %@ round %d: %.0f rows/s", store, round + 1, Double(rows) / seconds))
            }
        }

        // Search latency of a node on each store, same data, blocks alternated.
        var p50: [String: [Double]] = ["sqlite": [], "postgres": []]
        var p99: [String: [Double]] = ["sqlite": [], "postgres": []]
        do {
            let opened = try ["sqlite", "postgres"].map { try Casebook(path: last[$0]!).collection("bench") }
            var random = BenchRandom(seed: 5)
            let workload = (0..<queries).map { i in (TenantID("t\(i % tenants)"), random.vector(dim)) }
            for _ in 0..<blocks {
                for (store, collection) in zip(["sqlite", "postgres"], opened) {
                    var times: [Double] = []
                    for (tenant, vector) in workload {
                        let request = SearchRequest(tenant: tenant, k: 10, vector: vector, log: false)
                        times.append(try BenchData.seconds { _ = try collection.search(request) } * 1e3)
                    }
                    p50[store]!.append(BenchData.median(times))
                    p99[store]!.append(BenchData.percentile(times, 0.99))
                }
            }
        }

        // Open until searchable, from PostgreSQL (and the same rows from SQLite).
        var openSeconds: [String: Double] = [:]
        for store in ["sqlite", "postgres"] {
            let location = store == "sqlite" ? newSQLite("load") : try newPostgres("load")
            let seconds = try build(location, rows: loadRows)
            BenchData.log(String(format: "built %d rows in %@ in %.1f s", loadRows, store, seconds))
            let query = BenchRandom(seed: 9).vectorOnce(dim)
            openSeconds[store] = try BenchData.seconds {
                let collection = try Casebook(path: location).collection("bench")
                _ = try collection.search(SearchRequest(tenant: "t0", k: 10, vector: query, log: false))
            }
            BenchData.log(String(format: "open %@: %.2f s", store, openSeconds[store]!))
        }

        let lags = try measureLag(try newPostgres("lag"))
        let report = Report(
            rows: rows, dim: dim, tenants: tenants, batch: batch, ingestRowsPerSecond: ingest,
            ingestMedian: ingest.mapValues(BenchData.median), loadRows: loadRows, openSeconds: openSeconds,
            searchP50Ms: p50, searchP99Ms: p99, searchMedianP50Ms: p50.mapValues(BenchData.median), lagRate: rate,
            lagBatches: lags.count, lagP50Ms: BenchData.median(lags), lagP99Ms: BenchData.percentile(lags, 0.99),
            lagMaxMs: lags.max() ?? .nan, peakRssMB: BenchmarkSupport.peakResidentMB())
        if json {
            try JSONOutput.print(report)
        } else {
            print(String(format: "ingest %d x %d (batches of %d): SQLite %.0f rows/s, PostgreSQL %.0f rows/s (medians of %d)",
                         rows, dim, batch, report.ingestMedian["sqlite"]!, report.ingestMedian["postgres"]!, rounds))
            print(String(format: "open %d x %d until searchable: SQLite %.2f s, PostgreSQL %.2f s",
                         loadRows, dim, openSeconds["sqlite"]!, openSeconds["postgres"]!))
            print(String(format: "search p50 (median of %d blocks): SQLite %.3f ms, PostgreSQL %.3f ms",
                         blocks, report.searchMedianP50Ms["sqlite"]!, report.searchMedianP50Ms["postgres"]!))
            print(String(format: "lag at %d precedents/s over %d writes: p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                         rate, lags.count, report.lagP50Ms, report.lagP99Ms, report.lagMaxMs))
        }
    }

    /// Creates collection `bench` at `location` and adds `rows` rows; returns the seconds the adds took.
    private func build(_ location: String, rows: Int) throws -> Double {
        let collection = try Casebook(path: location).createCollection(
            CollectionSpec(name: "bench", dimension: dim, metric: .innerProduct))
        var batches: [[Precedent]] = []
        for start in stride(from: 0, to: rows, by: batch) {
            var items = BenchData.precedents(count: min(batch, rows - start), dimension: dim, tenant: "t0", seed: UInt64(start + 1))
            for i in items.indices {
                items[i].id = PrecedentID("p\(start + i)")
                items[i].tenant = TenantID("t\((start + i) % tenants)")
            }
            batches.append(items)
        }
        return try BenchData.seconds {
            for items in batches { try collection.add(items) }
        }
    }

    /// Node A writes `rate` precedents a second in `writesPerSecond` batches; node B follows the
    /// feed. For each batch: milliseconds from A's acknowledgement to B holding it.
    private func measureLag(_ location: String) throws -> [Double] {
        let nodeA = try Casebook(path: location)
        let a = try nodeA.createCollection(CollectionSpec(name: "bench", dimension: dim, metric: .innerProduct))
        let nodeB = try Casebook(path: location)
        nodeB.startFollowingChanges()
        defer { nodeB.stopFollowingChanges() }
        let deadline = Date().addingTimeInterval(10)
        while (try? nodeB.collection("bench")) == nil, Date() < deadline { usleep(1_000) }
        let b = try nodeB.collection("bench")
        let perWrite = max(1, rate / writesPerSecond)
        let writes = Int(seconds * Double(writesPerSecond))
        // B's side: the first moment its count reached each total.
        let reached = Mutex<[Int: UInt64]>([:])
        let done = Atomic<Bool>(false)
        let watcher = Thread {
            var seen = 0
            while !done.load(ordering: .relaxed) {
                let count = b.count
                if count > seen {
                    let now = DispatchTime.now().uptimeNanoseconds
                    reached.withLock { map in
                        for total in stride(from: (seen / perWrite + 1) * perWrite, through: count, by: perWrite) {
                            map[total] = now
                        }
                    }
                    seen = count
                }
                usleep(200)
            }
        }
        watcher.start()
        var acknowledged: [Int: UInt64] = [:]
        let start = DispatchTime.now().uptimeNanoseconds
        for write in 0..<writes {
            let due = start + UInt64(Double(write) / Double(writesPerSecond) * 1e9)
            let now = DispatchTime.now().uptimeNanoseconds
            if due > now { usleep(UInt32((due - now) / 1_000)) }
            var items = BenchData.precedents(count: perWrite, dimension: dim, tenant: "t0", seed: UInt64(write + 1))
            for i in items.indices {
                items[i].id = PrecedentID("w\(write)-\(i)")
                items[i].tenant = TenantID("t\(write % tenants)")
            }
            try a.add(items)
            acknowledged[(write + 1) * perWrite] = DispatchTime.now().uptimeNanoseconds
        }
        let end = Date().addingTimeInterval(30)
        while b.count < writes * perWrite, Date() < end { usleep(1_000) }
        done.store(true, ordering: .relaxed)
        while watcher.isExecuting { usleep(1_000) }
        let arrivals = reached.withLock { $0 }
        return acknowledged.compactMap { total, acked in
            arrivals[total].map { Double(Int64($0) - Int64(acked)) / 1e6 }
        }.map { max(0, $0) }
    }
}

/// The PostgreSQL server of `--url`, through `psql`: databases made and dropped for the run.
private struct PostgresServer {
    let base: URLComponents

    init(url: String) throws {
        guard let components = URLComponents(string: url), components.host != nil else {
            throw CLIError("--url is not a PostgreSQL URL")
        }
        base = components
    }

    func url(database: String) -> String {
        var components = base
        components.path = "/" + database
        return components.string!
    }

    func create(_ name: String) throws {
        guard psql("CREATE DATABASE \(name)") else { throw CLIError("could not create database \(name) (is psql installed?)") }
    }

    func drop(_ name: String) { _ = psql("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }

    private func psql(_ sql: String) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", url(database: "postgres"), "-X", "-q", "-c", sql]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
