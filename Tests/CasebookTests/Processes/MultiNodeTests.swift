import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif
import Testing

@testable import Casebook

/// Several `casebook serve` processes on one real PostgreSQL database, as a platform runs them:
/// writes through one node, searches through the others, a node killed during writes, PostgreSQL
/// stopped and started under load, two nodes writing the same ids, shards. At the end of each,
/// every node answers exactly as a brute-force search over the rows read back from PostgreSQL by
/// `psql`, every acknowledged write is there, and no batch is partly present.
@Suite(.serialized) struct MultiNodeTests {
    static let dimension = 8
    static let tenants: [TenantID] = ["acme", "globex", "initech"]

    /// A PostgreSQL database with an external-vector collection `c` (on the test server, or on a
    /// private one).
    static func database(on cluster: PrivatePostgres? = nil) throws -> TemporaryDatabase {
        let database = cluster.map { TemporaryDatabase(postgresURL: $0.url) } ?? TemporaryDatabase(.postgres)
        let created = try CasebookProcess.run([
            "init", "--db", database.path, "--collection", "c", "--embedder", "external", "--dims", "\(dimension)",
        ])
        #expect(created.status == 0, "\(created.stderr)")
        return database
    }

    static func nodes(_ database: TemporaryDatabase, _ count: Int, arguments: (Int) -> [String] = { _ in [] }) throws
        -> [ServerProcess]
    {
        try (0..<count).map { try ServerProcess(arguments: arguments($0), database: database, name: "node\($0)") }
    }

    // MARK: The database, read independently

    /// Runs SQL through `psql`; rows of `|`-separated fields.
    static func psql(_ url: String, _ sql: String) throws -> [[String]] {
        let bin = ProcessInfo.processInfo.environment["CASEBOOK_PG_BIN"] ?? "/usr/bin"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "\(bin)/psql")
        process.arguments = [url, "-X", "-A", "-t", "-F", "|", "-c", sql]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ServerProcessError(description: "psql failed: \(sql)") }
        return text.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
    }

    /// Every stored precedent of collection `c`: its vector decoded from the `bytea` by hand.
    static func storedRows(_ url: String) throws -> [ReferenceRow] {
        try psql(url, """
            SELECT tenant, id, encode(vector, 'hex'),
                (SELECT dimension FROM casebook.collection WHERE name = 'c') FROM casebook.precedent
            WHERE collection_id = (SELECT id FROM casebook.collection WHERE name = 'c') ORDER BY pk
            """
        ).map { fields in
            let hex = Array(fields[2].utf8)
            let bytes = stride(from: 0, to: hex.count, by: 2).map {
                UInt8(String(decoding: hex[$0..<($0 + 2)], as: UTF8.self), radix: 16)!
            }
            let vector = StoredVectorBytes.decode(bytes, dimension: Int(fields[3])!) ?? []
            return ReferenceRow(
                tenant: TenantID(fields[0]), id: PrecedentID(fields[1]), vector: vector, category: nil, tags: [],
                wasSuccessful: nil, createdAt: Date())
        }
    }

    static func lastPosition(_ url: String) throws -> Int64 {
        Int64(try psql(url, "SELECT coalesce(max(position), 0) FROM casebook.change")[0][0])!
    }

    // MARK: Nodes

    static func changePosition(_ node: ServerProcess) -> Int64 {
        ((try? node.request("GET", "/v1/health"))?.json["changePosition"] as? NSNumber)?.int64Value ?? -1
    }

    /// Waits until every node has applied the feed up to the database's last position.
    static func waitForConvergence(_ nodes: [ServerProcess], url: String, timeout: TimeInterval = 30) throws {
        let target = try lastPosition(url)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if nodes.allSatisfy({ changePosition($0) >= target }) { return }
            usleep(50_000)
        }
        Issue.record("nodes at \(nodes.map(changePosition)) after \(timeout) s; the database is at \(target)")
    }

    static func search(_ node: ServerProcess, tenant: TenantID, vector: [Float], k: Int = 10) throws -> [(PrecedentID, Double)] {
        let body = "{\"tenant\":\"\(tenant)\",\"k\":\(k),\"includePrecedents\":false,\"log\":false,\"vector\":[\(vector.map { "\($0)" }.joined(separator: ","))]}"
        let reply = try node.request("POST", "/v1/collections/c/search", body)
        guard reply.status == 200, let results = reply.json["results"] as? [[String: Any]] else {
            throw ServerProcessError(description: "search answered \(reply.status): \(reply.body)")
        }
        return results.map { (PrecedentID($0["id"] as! String), ($0["score"] as! NSNumber).doubleValue) }
    }

    /// Every node answers as brute force over the rows PostgreSQL holds.
    static func expectNodesMatchDatabase(_ nodes: [ServerProcess], url: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let rows = try storedRows(url)
        var random = SeededRandom(seed: 31)
        for tenant in tenants {
            let tenantRows = rows.filter { $0.tenant == tenant }
            for _ in 0..<3 {
                let query = random.vector(dimension: dimension)
                let reference = BruteForce.search(rows, tenant: tenant, query: query, k: 10, metric: .cosine)
                let all = Dictionary(tenantRows.map { ($0.id, BruteForce.score(query, $0.vector, .cosine)) }) { a, _ in a }
                for node in nodes {
                    let got = try search(node, tenant: tenant, vector: query)
                    #expect(got.count == reference.count, sourceLocation: sourceLocation)
                    for ((id, score), expected) in zip(got, reference) {
                        #expect(abs(score - expected.score) <= 1e-5, sourceLocation: sourceLocation)
                        if id != expected.id {
                            #expect(abs((all[id] ?? .nan) - expected.score) <= 1e-5, sourceLocation: sourceLocation)
                        }
                    }
                }
            }
            for node in nodes {
                let count = try node.request("GET", "/v1/collections/c?tenant=\(tenant)").json["count"] as? Int
                #expect(count == tenantRows.count, "a node holds \(count ?? -1) of \(tenant)'s \(tenantRows.count) rows", sourceLocation: sourceLocation)
            }
        }
    }

    /// A batch of `size` precedents `prefix-0`… of one tenant, as the API takes it.
    static func batch(_ prefix: String, tenant: TenantID, size: Int, random: inout SeededRandom) -> String {
        let items = (0..<size).map { i in
            "{\"id\":\"\(prefix)-\(i)\",\"vector\":[\(random.vector(dimension: dimension).map { "\($0)" }.joined(separator: ","))]}"
        }
        return "{\"tenant\":\"\(tenant)\",\"precedents\":[\(items.joined(separator: ","))]}"
    }

    /// How many of a batch's rows PostgreSQL holds.
    static func storedCount(_ url: String, prefix: String) throws -> Int {
        Int(try psql(url, "SELECT count(*) FROM casebook.precedent WHERE id LIKE '\(prefix)-%'")[0][0])!
    }

    // MARK: Tests

    @Test func writesThroughOneNodeAreSearchableEverywhere() throws {
        let database = try Self.database()
        let nodes = try Self.nodes(database, 3)
        var random = SeededRandom(seed: 1)
        for round in 0..<12 {
            let tenant = Self.tenants[round % 3]
            let body = Self.batch("r\(round)", tenant: tenant, size: 10, random: &random)
            let writer = nodes[round % 3]
            let added = try writer.request("POST", "/v1/collections/c/precedents", body)
            #expect(added.status == 201, "\(added.body)")
            // Read your writes: the node that acknowledged the batch answers with it at once.
            let count = try writer.request("GET", "/v1/collections/c?tenant=\(tenant)").json["count"] as? Int
            #expect(count == (round / 3 + 1) * 10)
        }
        #expect(try nodes[1].request("DELETE", "/v1/collections/c/precedents/r0-3?tenant=acme").status == 204)
        try Self.waitForConvergence(nodes, url: database.path)
        try Self.expectNodesMatchDatabase(nodes, url: database.path)
    }

    /// The node that takes the writes is SIGKILLed in the middle of a load and restarted: every
    /// batch is whole or absent in PostgreSQL, every acknowledged one is there, and both nodes
    /// then answer as the database.
    @Test func nodeKilledDuringWritesRestartsAndCatchesUp() throws {
        let database = try Self.database()
        var nodes = try Self.nodes(database, 2)
        let acknowledged = Mutex<[String]>([])
        let attempted = Mutex<[String]>([])
        let writer = nodes[0]
        let load = Thread {
            var random = SeededRandom(seed: 2)
            for round in 0..<400 {
                let prefix = "k\(round)"
                attempted.withLock { $0.append(prefix) }
                let reply = try? writer.request(
                    "POST", "/v1/collections/c/precedents",
                    Self.batch(prefix, tenant: Self.tenants[round % 3], size: 20, random: &random))
                if reply?.status == 201 { acknowledged.withLock { $0.append(prefix) } }
                if reply == nil || reply?.status == 0 { break }
            }
        }
        load.start()
        while acknowledged.withLock({ $0.count }) < 10 { usleep(10_000) }
        kill(writer.process.processIdentifier, SIGKILL)
        writer.process.waitUntilExit()
        while load.isExecuting { usleep(10_000) }
        usleep(300_000)
        for prefix in attempted.withLock({ $0 }) {
            let stored = try Self.storedCount(database.path, prefix: prefix)
            #expect(stored == 0 || stored == 20, "batch \(prefix) is partly present: \(stored) of 20")
        }
        for prefix in acknowledged.withLock({ $0 }) {
            #expect(try Self.storedCount(database.path, prefix: prefix) == 20, "acknowledged batch \(prefix) is missing")
        }
        nodes[0] = try ServerProcess(database: database, name: "node0")
        try Self.waitForConvergence(nodes, url: database.path)
        try Self.expectNodesMatchDatabase(nodes, url: database.path)
    }

    /// PostgreSQL stopped under load: searches keep answering from memory, writes answer 503
    /// `storage_unavailable` and write nothing; once it is back the nodes reconnect by themselves,
    /// and what was acknowledged is everywhere.
    @Test func postgresStoppedAndStartedUnderLoad() throws {
        // A server of its own: stopping the shared one would fail the other tests running now.
        let cluster = try PrivatePostgres()
        let (stop, start) = (cluster.stop, cluster.start)
        let database = try Self.database(on: cluster)
        let nodes = try Self.nodes(database, 2)
        var random = SeededRandom(seed: 3)
        for round in 0..<6 {
            #expect(try nodes[round % 2].request(
                "POST", "/v1/collections/c/precedents", Self.batch("s\(round)", tenant: Self.tenants[round % 3], size: 10, random: &random)
            ).status == 201)
        }
        try Self.waitForConvergence(nodes, url: database.path)

        try Self.shell(stop)
        let query = random.vector(dimension: Self.dimension)
        for node in nodes {
            #expect(try Self.search(node, tenant: "acme", vector: query).count == 10)
            let withPrecedents = try node.request(
                "POST", "/v1/collections/c/search", "{\"tenant\":\"acme\",\"k\":3,\"vector\":[\(query.map { "\($0)" }.joined(separator: ","))]}")
            #expect(withPrecedents.status == 200, "\(withPrecedents.body)")
            let refused = try node.request(
                "POST", "/v1/collections/c/precedents", Self.batch("down", tenant: "acme", size: 5, random: &random))
            #expect(refused.status == 503 && refused.errorCode == "storage_unavailable", "\(refused.body)")
            // Each node counted its refused write as a store error (`GET /metrics`).
            let samples = try MetricsTests.scrape(node)
            #expect(MetricsTests.value(samples, "casebook_store_errors_total", ["code": "storage_unavailable"]) == 1)
            #expect(MetricsTests.value(samples, "casebook_http_requests_total",
                                       ["route": "/v1/collections/{name}/precedents", "method": "POST", "status": "503"]) == 1)
        }
        try Self.shell(start)

        // Back: the first writes after the restart may still find a dead connection; within a
        // few seconds they succeed without restarting the nodes.
        var written = false
        let deadline = Date().addingTimeInterval(20)
        while !written, Date() < deadline {
            written = try nodes[0].request(
                "POST", "/v1/collections/c/precedents", Self.batch("after", tenant: "globex", size: 10, random: &random)
            ).status == 201
            if !written { usleep(200_000) }
        }
        #expect(written)
        #expect(try Self.storedCount(database.path, prefix: "down") == 0)
        try Self.waitForConvergence(nodes, url: database.path)
        try Self.expectNodesMatchDatabase(nodes, url: database.path)
        // The searches logged while the database was away were kept, and are written with the
        // next ones.
        for node in nodes {
            #expect(try node.request(
                "POST", "/v1/collections/c/search", "{\"tenant\":\"globex\",\"k\":2,\"vector\":[1,0,0,0,0,0,0,0]}"
            ).status == 200)
        }
        var logged = 0
        let logDeadline = Date().addingTimeInterval(15)
        while logged < 4, Date() < logDeadline {
            logged = Int(try Self.psql(database.path, "SELECT count(*) FROM casebook.match_query")[0][0]) ?? 0
            if logged < 4 { usleep(100_000) }
        }
        #expect(logged == 4, "2 searches logged during the outage and 2 after; the database holds \(logged)")
    }

    /// Two nodes add the same ids at the same time: PostgreSQL decides, each id is acknowledged
    /// once and refused once (409), and the nodes agree.
    @Test func concurrentWritersOnTwoNodes() throws {
        let database = try Self.database()
        let nodes = try Self.nodes(database, 2)
        let statuses = Mutex<[String: [Int]]>([:])
        DispatchQueue.concurrentPerform(iterations: 60) { attempt in
            let id = "same-\(attempt / 2)"
            var random = SeededRandom(seed: UInt64(attempt))
            let vector = random.vector(dimension: Self.dimension).map { "\($0)" }.joined(separator: ",")
            let status = (try? nodes[attempt % 2].request(
                "POST", "/v1/collections/c/precedents",
                "{\"tenant\":\"initech\",\"precedents\":[{\"id\":\"\(id)\",\"vector\":[\(vector)]}]}"))?.status ?? 0
            statuses.withLock { $0[id, default: []].append(status) }
        }
        for (id, answers) in statuses.withLock({ $0 }) {
            #expect(answers.sorted() == [201, 409], "\(id): \(answers)")
        }
        // Concurrent writers on two nodes left the feed numbered 1...n without a gap.
        let feed = try Self.psql(database.path, "SELECT count(*), min(position), max(position) FROM casebook.change")[0]
        #expect(feed[1] == "1" && feed[0] == feed[2], "feed rows, first and last position: \(feed)")
        try Self.waitForConvergence(nodes, url: database.path)
        try Self.expectNodesMatchDatabase(nodes, url: database.path)
    }

    /// Two shards: each node holds and answers only its tenants; the other's get 421 with the
    /// shard that holds them.
    @Test func shardsHoldTheirTenantsOnly() throws {
        let database = try Self.database()
        let nodes = try Self.nodes(database, 2) { ["--shard", "\($0)/2"] }
        // Tenants on each shard, by the documented hash (FNV-1a 64 of the UTF-8 bytes, modulo 2).
        let names = (0..<40).map { TenantID("tenant-\($0)") }
        let bySHard = Dictionary(grouping: names) { TenantShard.shard(of: $0, count: 2) }
        var random = SeededRandom(seed: 4)
        for shard in 0..<2 {
            let own = bySHard[shard]![0], other = bySHard[1 - shard]![0]
            #expect(try nodes[shard].request(
                "POST", "/v1/collections/c/precedents", Self.batch("own\(shard)", tenant: own, size: 5, random: &random)
            ).status == 201)
            let refused = try nodes[shard].request(
                "POST", "/v1/collections/c/precedents", Self.batch("other\(shard)", tenant: other, size: 5, random: &random))
            #expect(refused.status == 421 && refused.errorCode == "wrong_shard", "\(refused.body)")
            #expect((refused.json["error"] as? [String: Any])?["shard"] as? Int == 1 - shard)
            let search = try nodes[shard].request(
                "POST", "/v1/collections/c/search", "{\"tenant\":\"\(other)\",\"k\":3,\"vector\":[1,0,0,0,0,0,0,0]}")
            #expect(search.status == 421)
            let reembed = try nodes[shard].request("POST", "/v1/collections/c/reembed", "{\"tenants\":[\"\(other)\"]}")
            #expect(reembed.status == 421 && reembed.errorCode == "wrong_shard", "\(reembed.body)")
        }
        try Self.waitForConvergence(nodes, url: database.path)
        // Each node followed the other's write without taking its rows.
        for shard in 0..<2 {
            let own = bySHard[shard]![0], other = bySHard[1 - shard]![0]
            #expect(try nodes[shard].request("GET", "/v1/collections/c?tenant=\(own)").json["count"] as? Int == 5)
            #expect(try nodes[shard].request("GET", "/v1/collections/c?tenant=\(other)").status == 421)
        }
    }

    /// Runs a shell command and waits for it with waitpid. (Foundation's `Process` waits until
    /// every copy of its internal pipe is closed, and `pg_ctl start` leaves one in the server it
    /// starts: `waitUntilExit` would never return.)
    static func shell(_ command: String) throws {
        var pid: pid_t = 0
        let arguments = ["/bin/sh", "-c", command + " >/dev/null 2>&1"]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        guard posix_spawn(&pid, "/bin/sh", nil, nil, &argv, environ) == 0 else {
            throw ServerProcessError(description: "could not run: \(command)")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        guard status == 0 else { throw ServerProcessError(description: "failed (\(status)): \(command)") }
    }
}

/// A PostgreSQL server of a test's own (a new cluster in a temporary folder, as
/// scripts/with-postgres makes), for a test that stops and starts it.
final class PrivatePostgres {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("casebook-pg-\(UUID().uuidString)")
    let url: String
    let start: String
    let stop: String

    init() throws {
        let bin = ProcessInfo.processInfo.environment["CASEBOOK_PG_BIN"] ?? "/usr/lib/postgresql/15/bin"
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let dir = directory.path
        // initdb refuses to run as root: the cluster then belongs to the postgres account.
        let owner = getuid() == 0 ? "runuser -u postgres -- " : ""
        if getuid() == 0 { try MultiNodeTests.shell("chown postgres: \(dir)") }
        try MultiNodeTests.shell("\(owner)\(bin)/initdb -D \(dir)/data -U casebook --auth=trust -E UTF8 --no-locale")
        let port = try Self.freePort()
        start = "\(owner)\(bin)/pg_ctl -D \(dir)/data -l \(dir)/server.log -w -o '-p \(port) -k \(dir) -c listen_addresses=127.0.0.1' start"
        stop = "\(owner)\(bin)/pg_ctl -D \(dir)/data -m fast -w stop"
        try MultiNodeTests.shell(start)
        try MultiNodeTests.shell("\(bin)/psql -h 127.0.0.1 -p \(port) -U casebook -d postgres -qc 'CREATE DATABASE casebook'")
        url = "postgresql://casebook@127.0.0.1:\(port)/casebook"
    }

    deinit {
        try? MultiNodeTests.shell(stop.replacingOccurrences(of: "-m fast", with: "-m immediate"))
        try? FileManager.default.removeItem(at: directory)
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw ServerProcessError(description: "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A serving process follows what another process commits to the same SQLite file.
@Suite struct SQLiteFollowingTests {
    @Test func addIntoTheServedFileReachesTheServer() throws {
        let database = TemporaryDatabase()
        #expect(try CasebookProcess.run([
            "init", "--db", database.path, "--collection", "c", "--embedder", "external", "--dims", "3",
        ]).status == 0)
        let server = try ServerProcess(database: database)
        let lines = (0..<50).map { "{\"id\":\"p\($0)\",\"tenant\":\"acme\",\"vector\":[1,\(Double($0) / 50),0.5]}" }
        let file = database.directory.appendingPathComponent("rows.jsonl")
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        let added = try CasebookProcess.run(["add", "--db", database.path, "--collection", "c", file.path])
        #expect(added.status == 0, "\(added.stderr)")
        let deadline = Date().addingTimeInterval(10)
        var count = 0
        while count != 50, Date() < deadline {
            count = try server.request("GET", "/v1/collections/c?tenant=acme").json["count"] as? Int ?? -1
            if count != 50 { usleep(20_000) }
        }
        #expect(count == 50)
        let search = try server.request("POST", "/v1/collections/c/search", #"{"tenant":"acme","k":1,"vector":[1,0,0.5]}"#)
        #expect((search.json["results"] as? [[String: Any]])?.first?["id"] as? String == "p0")
    }
}
