import ArgumentParser
import Casebook
import CommandLineSupport
import Foundation
import Synchronization
import UnixSocketHTTP

/// What the socket adds to a search: the same top-10 queries in-process and through
/// `casebook serve` (a child process) with JSON and with raw float32 bodies, for 1, 4 and 16
/// concurrent clients, alternated in rounds.
struct BenchSocket: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "socket",
        abstract: "Search over the Unix socket (JSON and binary vectors) vs in-process, at several client counts.")

    @Option(help: "Vectors in the tenant (flat, cosine).") var n = 100_000
    @Option(help: "Dimension.") var dim = 384
    @Option(help: "Queries per mode, client count and round.") var queries = 200
    @Option(help: "Concurrent clients, comma-separated.") var clients = "1,4,16"
    @Option(help: "Rounds (modes alternate within each).") var rounds = 3
    @Option var k = 10
    @Flag(help: "With one client, alternate in-process and socket searches query by query instead of in blocks.")
    var interleave = false
    @Flag(help: "Print JSON.") var json = false

    struct Run: Encodable {
        var mode: String
        var clients: Int
        var qps: Double
        var p50Ms: Double
        var p99Ms: Double
        /// Median `tookMs`: the library's own time for the search, in the server or in-process.
        var searchP50Ms: Double
    }

    struct Report: Encodable {
        var n: Int, dim: Int, k: Int, queries: Int, rounds: Int
        /// Medians over rounds, per mode and client count.
        var runs: [Run]
        /// Socket p50 − in-process p50 (median over rounds of each round's difference), per client count.
        var addedP50MsJSON: [String: Double]
        var addedP50MsBinary: [String: Double]
        /// Median over requests of (client latency − the server's own `tookMs`): what the socket,
        /// HTTP and JSON add around the library call in the server, per client count.
        var transportP50MsJSON: [String: Double]
        var transportP50MsBinary: [String: Double]
    }

    func validate() throws {
        guard n >= k, dim >= 1, queries >= 1, rounds >= 1, k >= 1 else { throw ValidationError("sizes must be positive") }
        guard clientCounts != nil else { throw ValidationError("--clients takes positive integers separated by commas") }
    }

    private var clientCounts: [Int]? {
        let values = clients.split(separator: ",").map { Int($0) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) >= 1 }) else { return nil }
        return values.map { $0! }
    }

    func run() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("casebook-bench-socket-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("bench.sqlite").path
        let socket = directory.appendingPathComponent("bench.sock").path
        BenchData.log("ingesting \(n) x \(dim)")
        do {
            let casebook = try Casebook(path: path)
            let collection = try casebook.createCollection(CollectionSpec(name: "bench", dimension: dim, metric: .cosine))
            let precedents = BenchData.precedents(count: n, dimension: dim, tenant: "bench", seed: 1)
            for start in stride(from: 0, to: n, by: 10_000) {
                try collection.add(Array(precedents[start..<min(n, start + 10_000)]))
            }
        }
        let server = Process()
        server.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        server.arguments = ["serve", "--db", path, "--socket", socket]
        let output = Pipe()
        server.standardOutput = output
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        _ = output.fileHandleForReading.availableData  // the ready line
        let collection = try Casebook(path: path).collection("bench")

        var random = BenchRandom(seed: 4)
        let vectors = (0..<queries).map { _ in random.vector(dim) }
        let jsonBodies = vectors.map { vector in
            Array("{\"tenant\":\"bench\",\"k\":\(k),\"vector\":[\(vector.map { "\($0)" }.joined(separator: ","))]}".utf8)
        }
        let binaryBodies = vectors.map { vector in
            vector.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
        }
        let modes = ["in-process", "socket-json", "socket-binary"]
        let search: @Sendable (String, UnixHTTPClient?, Int) throws -> Answer = { mode, client, q in
            let reply: UnixHTTPClient.Reply
            switch mode {
            case "in-process":
                let response = try collection.search(SearchRequest(tenant: "bench", k: k, vector: vectors[q]))
                return .tookMs(response.tookMs)
            case "socket-json":
                reply = try client!.send("POST", "/v1/collections/bench/search", body: jsonBodies[q])
            default:
                reply = try client!.send(
                    "POST", "/v1/collections/bench/search/binary?tenant=bench&k=\(k)", body: binaryBodies[q],
                    contentType: "application/octet-stream")
            }
            guard reply.status == 200 else { throw CLIError("server answered \(reply.status)") }
            return .body(reply.body)
        }
        var samples: [String: [Sample]] = [:]
        // Per socket mode and client count: the in-process p50 each of its p50s is compared with.
        var baselines: [String: [Double]] = [:]
        for round in 0..<rounds {
            for count in clientCounts! {
                BenchData.log("round \(round + 1) of \(rounds), \(count) client(s)")
                let socketModes = round % 2 == 0 ? ["socket-json", "socket-binary"] : ["socket-binary", "socket-json"]
                if count == 1, interleave {
                    // In-process and one socket mode take turns query by query, so a slow moment of
                    // this shared machine falls on both alike. Two modes, not three: each search
                    // then follows the other mode's, so neither finds its own vectors left in the
                    // shared cache by the search before (with three, the two socket modes did, and
                    // the server's search measured 0.35 ms faster than the same in-process one).
                    // Both run colder than in a steady stream of one mode, the socket's share too.
                    let client = try UnixHTTPClient(path: socket)
                    for socketMode in socketModes {
                        let pair = try Self.interleave(modes: ["in-process", socketMode], queries: queries) { mode, q in
                            try search(mode, mode == "in-process" ? nil : client, q)
                        }
                        samples["in-process 1", default: []].append(pair[0])
                        samples["\(socketMode) 1", default: []].append(pair[1])
                        baselines["\(socketMode) 1", default: []].append(pair[0].p50)
                    }
                    continue
                }
                let order = round % 2 == 0 ? modes : modes.reversed()
                for mode in order {
                    let result = try Self.measure(clients: count, queries: queries) { worker, q in
                        try search(mode, worker, q)
                    } connect: { mode == "in-process" ? nil : try UnixHTTPClient(path: socket) }
                    samples["\(mode) \(count)", default: []].append(result)
                }
                for socketMode in socketModes {
                    baselines["\(socketMode) \(count)", default: []].append(samples["in-process \(count)"]!.last!.p50)
                }
            }
        }
        var runs: [Run] = []
        var addedJSON: [String: Double] = [:], addedBinary: [String: Double] = [:]
        var transportJSON: [String: Double] = [:], transportBinary: [String: Double] = [:]
        for count in clientCounts! {
            for mode in modes {
                let s = samples["\(mode) \(count)"]!
                runs.append(Run(mode: mode, clients: count, qps: BenchData.median(s.map(\.qps)),
                                p50Ms: BenchData.median(s.map(\.p50)), p99Ms: BenchData.median(s.map(\.p99)),
                                searchP50Ms: BenchData.median(s.map(\.search))))
            }
            func added(_ mode: String) -> Double {
                BenchData.median(zip(samples["\(mode) \(count)"]!.map(\.p50), baselines["\(mode) \(count)"]!).map { $0 - $1 })
            }
            addedJSON["\(count)"] = added("socket-json")
            addedBinary["\(count)"] = added("socket-binary")
            transportJSON["\(count)"] = BenchData.median(samples["socket-json \(count)"]!.map(\.transport))
            transportBinary["\(count)"] = BenchData.median(samples["socket-binary \(count)"]!.map(\.transport))
        }
        let report = Report(n: n, dim: dim, k: k, queries: queries, rounds: rounds, runs: runs,
                            addedP50MsJSON: addedJSON, addedP50MsBinary: addedBinary,
                            transportP50MsJSON: transportJSON, transportP50MsBinary: transportBinary)
        if json {
            try JSONOutput.print(report)
        } else {
            for run in runs {
                print(String(format: "%-14@ %2d client(s): %8.1f QPS  p50 %.3f ms  p99 %.3f ms  (search itself %.3f ms)",
                             run.mode as NSString, run.clients, run.qps, run.p50Ms, run.p99Ms, run.searchP50Ms))
            }
            for count in clientCounts! {
                print(String(format: "%2d client(s): socket adds %.3f ms (JSON), %.3f ms (binary) at the median; around the server's search: %.3f / %.3f ms",
                             count, addedJSON["\(count)"]!, addedBinary["\(count)"]!, transportJSON["\(count)"]!,
                             transportBinary["\(count)"]!))
            }
        }
    }

    /// `clients` threads (real threads: they block on sockets), each with its own connection,
    /// answer every clients-th query; latencies pooled. `body` returns an ``Answer``: the
    /// library's own time is taken from it after the clock stops, and `transport` is the median of
    /// latency minus that.
    static func measure(
        clients: Int, queries: Int, _ body: @escaping @Sendable (UnixHTTPClient?, Int) throws -> Answer,
        connect: @escaping @Sendable () throws -> UnixHTTPClient?
    ) throws -> Sample {
        let latencies = Mutex<[(total: Double, server: Double?)]>([])
        let failure = Mutex<String?>(nil)
        let group = DispatchGroup()
        let start = DispatchTime.now().uptimeNanoseconds
        for worker in 0..<clients {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                do {
                    let client = try connect()
                    var local: [(total: Double, server: Double?)] = []
                    for q in stride(from: worker, to: queries, by: clients) {
                        var reply = Answer.body([])
                        let total = try BenchData.seconds { reply = try body(client, q) } * 1e3
                        local.append((total, reply.searchMs))
                    }
                    latencies.withLock { $0 += local }
                } catch {
                    failure.withLock { $0 = "\(error)" }
                }
            }
            thread.start()
        }
        group.wait()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if let message = failure.withLock({ $0 }) { throw CLIError(message) }
        return Sample(latencies.withLock { $0 }, qps: Double(queries) / seconds)
    }

    /// One client on this thread: query q runs in every mode, the modes' order rotating with q.
    /// Samples are in the order of `modes`.
    static func interleave(
        modes: [String], queries: Int, _ body: (String, Int) throws -> Answer
    ) throws -> [Sample] {
        var latencies: [String: [(total: Double, server: Double?)]] = [:]
        for q in 0..<queries {
            for turn in 0..<modes.count {
                let mode = modes[(q + turn) % modes.count]
                var reply = Answer.body([])
                let total = try BenchData.seconds { reply = try body(mode, q) } * 1e3
                latencies[mode, default: []].append((total, reply.searchMs))
            }
        }
        return modes.map { mode in
            let all = latencies[mode]!
            return Sample(all, qps: 1e3 * Double(all.count) / all.reduce(0) { $0 + $1.total })
        }
    }

    /// One mode's latencies in one round: `search` is the median of the library's own `tookMs`
    /// (the server's, or the in-process call's), `transport` the median of latency minus it.
    struct Sample {
        var p50: Double, p99: Double, qps: Double, transport: Double, search: Double

        init(_ latencies: [(total: Double, server: Double?)], qps: Double) {
            let totals = latencies.map(\.total)
            let transport = latencies.compactMap { sample in sample.server.map { sample.total - $0 } }
            p50 = BenchData.median(totals)
            p99 = BenchData.percentile(totals, 0.99)
            self.qps = qps
            self.transport = transport.isEmpty ? .nan : BenchData.median(transport)
            let searches = latencies.compactMap(\.server)
            search = searches.isEmpty ? .nan : BenchData.median(searches)
        }
    }

    /// What one timed search returns: the in-process response's own time, or a reply's body, whose
    /// `tookMs` is read only after the clock has stopped.
    enum Answer {
        case tookMs(Double)
        case body([UInt8])

        var searchMs: Double? {
            switch self {
            case .tookMs(let milliseconds): return milliseconds
            case .body(let bytes): return BenchSocket.tookMs(bytes)
            }
        }
    }

    /// The `"tookMs":` number of a search response.
    static func tookMs(_ body: [UInt8]) -> Double? {
        let key = Array("\"tookMs\":".utf8)
        guard body.count > key.count,
            let at = (0...(body.count - key.count)).first(where: { body[$0] == key[0] && Array(body[$0..<($0 + key.count)]) == key })
        else { return nil }
        let digits = body[(at + key.count)...].prefix { ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 101 || $0 == 45 || $0 == 43 }
        return Double(String(decoding: digits, as: UTF8.self))
    }
}
