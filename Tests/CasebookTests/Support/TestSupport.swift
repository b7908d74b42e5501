import Foundation
import Synchronization
import Testing

@testable import Casebook

/// Test data comes from the library's deterministic generator, so every run sees the same data.
typealias SeededRandom = SplitMix64

extension SplitMix64 {
    /// Roughly Gaussian, scaled so a d-dimensional vector has norm about 1.
    mutating func vector(dimension: Int) -> [Float] {
        let scale = 1 / Float(dimension).squareRoot()
        return (0..<dimension).map { _ in
            let sum = (0..<4).reduce(Float(0)) { acc, _ in acc + Float.random(in: -1...1, using: &self) }
            return sum * 0.866 * scale
        }
    }
}

/// Which store a test runs against: the behaviour tests that concern storage run on both.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres
    var testDescription: String { rawValue }
}

/// A fresh database, removed when the test ends: a SQLite file in a fresh temporary directory, or
/// a new PostgreSQL database on the server that `scripts/with-postgres` started (its URL in
/// CASEBOOK_TEST_POSTGRES). Without that server a PostgreSQL test fails: it never skips.
final class TemporaryDatabase {
    let kind: StoreKind
    let directory: URL
    /// The database's name on the PostgreSQL server.
    private let postgresName: String?
    /// What `Casebook(path:)` and `--db` take: the file's path, or the database's URL.
    let path: String

    init(_ kind: StoreKind = .sqlite) {
        self.kind = kind
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("casebook-test-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        switch kind {
        case .sqlite:
            postgresName = nil
            path = directory.appendingPathComponent("test.sqlite").path
        case .postgres:
            let name = "casebook_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            postgresName = name
            path = TestPostgres.create(database: name)
        }
    }

    /// An existing PostgreSQL database (a test's private server), left as it is at the end.
    init(postgresURL: String) {
        kind = .postgres
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("casebook-test-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        postgresName = nil
        path = postgresURL
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
        if let postgresName { TestPostgres.drop(database: postgresName) }
    }
}

/// The test PostgreSQL server: its URL, and databases made and dropped on it.
enum TestPostgres {
    static var url: String {
        guard let url = ProcessInfo.processInfo.environment["CASEBOOK_TEST_POSTGRES"], !url.isEmpty else {
            fatalError("CASEBOOK_TEST_POSTGRES is not set: run the tests as README says, through scripts/with-postgres")
        }
        return url
    }

    /// The server's own connection (database `postgres`), for CREATE and DROP DATABASE.
    private static let admin: PostgresConnections = {
        var address = try! PostgresAddress(url: url)
        address.database = "postgres"
        return try! PostgresConnections(address: address)
    }()

    /// Creates an empty database; returns its URL.
    static func create(database name: String) -> String {
        _ = try! admin.withSession { session throws(CasebookError) in try session.execute("CREATE DATABASE \(name)") }
        var address = try! PostgresAddress(url: url)
        address.database = name
        return "postgresql://\(address.user)@\(address.host):\(address.port)/\(name)"
    }

    static func drop(database name: String) {
        _ = try? admin.withSession { session throws(CasebookError) in
            try session.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        }
    }

    /// Runs SQL on a test database and returns the first column of each row as text (a reader
    /// independent of the store, for what a test checks on the server).
    static func query(_ databaseURL: String, _ sql: String) throws -> [String?] {
        let connections = try PostgresConnections(address: try PostgresAddress(url: databaseURL))
        return try connections.withSession { session throws(CasebookError) in
            try session.query(sql).map { row in (try? row.decode(String?.self)) ?? nil }
        }
    }
}

/// What the brute-force reference knows of a precedent.
struct ReferenceRow {
    var tenant: TenantID
    var id: PrecedentID
    var vector: [Float]
    var category: String?
    var tags: [String]
    var wasSuccessful: Bool?
    var createdAt: Date

    var precedent: Precedent {
        Precedent(
            id: id, tenant: tenant, category: category, wasSuccessful: wasSuccessful, tags: tags,
            createdAt: createdAt, vector: vector)
    }
}

/// Exact search written as a plain loop in Double: independent of the production kernels.
enum BruteForce {
    static func search(
        _ rows: [ReferenceRow], tenant: TenantID, query: [Float], k: Int, metric: Metric,
        filter: SearchFilter = SearchFilter()
    ) -> [(id: PrecedentID, score: Double)] {
        let matching = rows.filter { row in
            row.tenant == tenant && passes(row, filter)
        }
        let scored = matching.map { (id: $0.id, score: score(query, $0.vector, metric)) }
        let sorted = scored.sorted { metric.higherIsCloser ? $0.score > $1.score : $0.score < $1.score }
        return Array(sorted.prefix(k))
    }

    static func passes(_ row: ReferenceRow, _ filter: SearchFilter) -> Bool {
        if let category = filter.category, row.category != category { return false }
        if !Set(filter.tags).isSubset(of: Set(row.tags)) { return false }
        if let success = filter.wasSuccessful, row.wasSuccessful != success { return false }
        if let since = filter.since, row.createdAt < since { return false }
        if let until = filter.until, row.createdAt >= until { return false }
        if filter.excludeIds.contains(row.id) { return false }
        return true
    }

    static func score(_ a: [Float], _ b: [Float], _ metric: Metric) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0, l2 = 0.0
        for i in a.indices {
            let x = Double(a[i]), y = Double(b[i])
            dot += x * y
            na += x * x
            nb += y * y
            l2 += (x - y) * (x - y)
        }
        switch metric {
        case .cosine: return dot / (na.squareRoot() * nb.squareRoot())
        case .innerProduct: return dot
        case .l2: return l2
        }
    }
}

/// Results equal the reference: same length, scores within 1e-5 (relative to max(1, |score|)),
/// and at each rank the same id, unless the returned id's own reference score ties the
/// reference's score at that rank (float summation order may swap exact ties).
func expectMatches(
    _ results: [SearchResult], _ reference: [(id: PrecedentID, score: Double)],
    allScores: [PrecedentID: Double], sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(results.count == reference.count, sourceLocation: sourceLocation)
    for (result, expected) in zip(results, reference) {
        let tolerance = 1e-5 * max(1, abs(expected.score))
        #expect(abs(Double(result.score) - expected.score) <= tolerance,
            "rank \(result.rank): score \(result.score) vs \(expected.score)", sourceLocation: sourceLocation)
        if result.id != expected.id {
            let own = allScores[result.id] ?? .nan
            #expect(abs(own - expected.score) <= tolerance,
                "rank \(result.rank): id \(result.id) vs \(expected.id)", sourceLocation: sourceLocation)
        }
    }
    #expect(Set(results.map(\.id)).count == results.count, "duplicate ids", sourceLocation: sourceLocation)
}

extension Casebook {
    /// The SQLite store behind the protocol, for tests of SQLite's own conditions (a full disk,
    /// a read-only file, rows counted with SQL).
    var sqliteStore: SQLiteStore { store as! SQLiteStore }
}

/// Index rows and slab rows by their category alone (the index keeps every filterable text field;
/// these tests filter by category).
extension IndexedRow {
    init(
        tenant: TenantID, id: PrecedentID, key: Int64, vector: [Float], category: String?, tags: [String],
        wasSuccessful: Bool?, createdAt: Double
    ) {
        let texts = PrecedentField.filterableTexts.map { $0 == .category ? category : nil }
        self.init(
            tenant: tenant, id: id, key: key, vector: vector, texts: texts, tags: tags, wasSuccessful: wasSuccessful,
            createdAt: createdAt)
    }

    var category: String? {
        get { texts[PrecedentField.filterableTexts.firstIndex(of: .category)!] }
        set { texts[PrecedentField.filterableTexts.firstIndex(of: .category)!] = newValue }
    }
}

extension TenantSlab {
    mutating func append(
        vector: [Float], key: Int64, id: PrecedentID, category: Int32, success: Int8, createdAt: Double, tags: [Int32]
    ) {
        let texts = PrecedentField.filterableTexts.map { $0 == .category ? category : AttributeVocabulary.none }
        append(vector: vector, key: key, id: id, texts: texts, success: success, createdAt: createdAt, tags: tags)
    }
}

/// The Python with the pinned test tools (the MCP SDK) that `scripts/with-python-tools` made.
/// Without it a test that needs it fails: it never skips.
enum TestPython {
    static var executable: String {
        guard let path = ProcessInfo.processInfo.environment["CASEBOOK_TEST_PYTHON"], !path.isEmpty else {
            fatalError("CASEBOOK_TEST_PYTHON is not set: run the tests as README says, through scripts/with-python-tools")
        }
        return path
    }

    /// Runs a script of Tests/python with arguments; returns its exit status and output. The
    /// output goes to files, not pipes: a server another test starts meanwhile inherits open pipe
    /// ends, and a reader waiting for end-of-file would wait for that server to exit.
    static func run(_ script: String, _ arguments: [String], timeout: TimeInterval = 300) throws -> CasebookProcess.Outcome {
        try runTool(executable, [Repository.path("Tests/python/\(script)").path] + arguments, timeout: timeout)
    }

    /// Runs a program of the test tools' virtualenv (or the Python itself) the same way.
    static func runTool(
        _ program: String, _ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 300
    ) throws -> CasebookProcess.Outcome {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("casebook-python-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outPath = directory.appendingPathComponent("stdout"), errPath = directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outPath.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        // In a folder of its own: a tool that keeps a cache where it runs (schemathesis's
        // .schemathesis/) leaves nothing in the checkout.
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: outPath)
        process.standardError = try FileHandle(forWritingTo: errPath)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let timedOut = process.isRunning
        if timedOut { process.terminate() }
        process.waitUntilExit()
        let err = (try? String(contentsOf: errPath, encoding: .utf8)) ?? ""
        return CasebookProcess.Outcome(
            status: timedOut ? -1 : process.terminationStatus, stdout: (try? String(contentsOf: outPath, encoding: .utf8)) ?? "",
            stderr: timedOut ? "timed out after \(Int(timeout)) s\n" + err : err)
    }
}

extension PrecedentCollection {
    /// The vector the collection's index gives for a row (read back from the store when the index
    /// keeps the row as codes only).
    func indexedVector(tenant: TenantID, id: PrecedentID) throws -> [Float]? {
        try index.read { index throws(CasebookError) in try index.vector(tenant: tenant, id: id) }
    }
}

/// A call that another part of a test must not have to wait for (a write beside a long
/// operation, say).
enum OnAnotherThread {
    /// Runs `body` on a thread of its own and waits for it at most `seconds`: its error, or nil
    /// when it had not ended by then (it goes on).
    static func run(within seconds: Double, _ body: @escaping @Sendable () throws -> Void) -> Result<Void, any Error>? {
        let ended = DispatchSemaphore(value: 0)
        let result = Mutex<Result<Void, any Error>?>(nil)
        Thread {
            let outcome = Result { try body() }
            result.withLock { $0 = outcome }
            ended.signal()
        }.start()
        guard ended.wait(timeout: .now() + seconds) == .success else { return nil }
        return result.withLock { $0 }
    }
}
