import Foundation
import GRDB
import Synchronization
import Testing
import UnixSocketHTTP

@testable import Casebook

/// Real processes killed with SIGKILL at random (seeded) moments, then the file reopened: SQLite's
/// integrity check passes, every acknowledged batch is there whole, every other batch is whole or
/// absent (a kill between the commit and the acknowledgement leaves a whole batch nobody was told
/// about, the one ambiguity a kill can create), and the reopened index equals brute force over the
/// stored vectors. 20 `casebook add` and 12 `casebook serve` kills per run by default
/// (`CASEBOOK_RELIABILITY_SCALE` multiplies them); IVF training is killed in
/// `IVFCollectionTests.killedTrainingLeavesThePreviousIndex`.
@Suite(.serialized) struct KillHarnessTests {
    static let dimension = 16

    static func line(id: String, tenant: String, random: inout SeededRandom) -> String {
        let vector = random.vector(dimension: dimension).map { String(format: "%.5f", $0) }.joined(separator: ",")
        return "{\"id\":\"\(id)\",\"tenant\":\"\(tenant)\",\"tags\":[\"k\"],\"vector\":[\(vector)]}"
    }

    /// Tags and vectors belong to every stored row (nothing half-written inside a row).
    static func expectRowsComplete(_ path: String) throws {
        let (precedents, vectors, tags) = try DatabaseQueue(path: path).read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM precedent") ?? -1,
             try Data.fetchAll(db, sql: "SELECT data FROM precedent_vector")
                .filter { StoredVectorBytes.decode(Array($0), dimension: dimension) != nil }.count,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM precedent_tag") ?? -1)
        }
        #expect(vectors == precedents && tags == precedents, "rows \(precedents), vectors \(vectors), tags \(tags)")
    }

    @Test func killedAddKeepsEveryBatchWholeOrAbsent() throws {
        let database = TemporaryDatabase()
        #expect(try CasebookProcess.run(["init", "--collection", "c", "--embedder", "external", "--dim", "\(Self.dimension)", "--db", database.path]).status == 0)
        var random = SeededRandom(seed: 8_001)
        let rounds = 20 * Reliability.scale

        // How long an add of the largest batch takes here, so kills spread from "still parsing"
        // to "already acknowledged".
        let probe = database.directory.appendingPathComponent("probe.jsonl")
        try (0..<2_000).map { Self.line(id: "probe-\($0)", tenant: "probe", random: &random) }.joined(separator: "\n")
            .write(to: probe, atomically: true, encoding: .utf8)
        #expect(try CasebookProcess.run(["init", "--collection", "scratch", "--embedder", "external", "--dim", "\(Self.dimension)", "--db", database.path]).status == 0)
        // Measured again every 10 rounds: the machine's load (other suites run alongside) changes it.
        func timeProbe() throws -> TimeInterval {
            try DatabaseQueue(path: database.path).write { try $0.execute(sql: "DELETE FROM precedent WHERE collection_id = (SELECT id FROM collection WHERE name = 'scratch')") }
            let started = Date()
            #expect(try CasebookProcess.run(["add", "--collection", "scratch", "--db", database.path, probe.path]).status == 0)
            return Date().timeIntervalSince(started)
        }
        var duration = try timeProbe()

        var sizes: [String: Int] = [:]
        var acknowledged: Set<String> = []
        var present: Set<String> = []
        for round in 0..<rounds {
            if round > 0, round % 10 == 0 { duration = try timeProbe() }
            let batch = "a\(round)"
            let size = 200 + Int(random.next() % 1_800)
            let tenant = "t\(round % 3)"
            sizes[batch] = size
            let file = database.directory.appendingPathComponent("\(batch).jsonl")
            try (0..<size).map { Self.line(id: "\(batch)-\($0)", tenant: tenant, random: &random) }.joined(separator: "\n")
                .write(to: file, atomically: true, encoding: .utf8)
            let process = try CasebookProcess.killed(
                ["add", "--collection", "c", "--db", database.path, file.path],
                after: duration * 1.3 * Double(random.next() % 1_000) / 1_000)
            if process.terminationReason == .exit, process.terminationStatus == 0 { acknowledged.insert(batch) }

            let stored = try StoredFile(path: database.path, collection: "c")
            #expect(stored.integrity == "ok", "round \(round)")
            let counts = stored.countsByBatch()
            for (name, expected) in sizes {
                let count = counts[name, default: 0]
                #expect(count == 0 || count == expected, "batch \(name): \(count) of \(expected) rows")
                if acknowledged.contains(name) || present.contains(name) {
                    #expect(count == expected, "batch \(name) acknowledged or seen before, now \(count) of \(expected)")
                }
                if count == expected { present.insert(name) }
            }
            try Self.expectRowsComplete(database.path)
        }
        let stored = try StoredFile(path: database.path, collection: "c")
        try stored.expectIndexMatchesStoredVectors(path: database.path, collection: "c", metric: .cosine, dimension: Self.dimension, seed: 5)
        let killedMidway = rounds - acknowledged.count
        #expect(killedMidway > 0, "no kill landed before the acknowledgement")
        #expect(present.count > 0, "no batch survived: the kills never reached a commit")
        Reliability.report("casebook add: \(rounds) SIGKILLs, \(acknowledged.count) acknowledged batches all present, \(present.count - acknowledged.count) committed but unacknowledged, \(rounds - present.count) absent whole; \(stored.rows.count) rows checked against brute force")
    }

    /// One writer posting batches of 25 and one searcher, against `casebook serve`, which is
    /// SIGKILLed 0.1-0.8 s after it is ready; the next round's server replaces the stale socket.
    @Test func killedServerUnderWriteLoadLosesNoAcknowledgedBatch() throws {
        let database = TemporaryDatabase()
        do {
            _ = try Casebook(path: database.path).createCollection(CollectionSpec(name: "c", dimension: Self.dimension, metric: .cosine))
        }
        var random = SeededRandom(seed: 8_002)
        let rounds = 12 * Reliability.scale
        let batchSize = 25
        var acknowledged: Set<String> = []
        var present: Set<String> = []
        var sent: Set<String> = []
        var searches = 0
        for round in 0..<rounds {
            let server = try ServerProcess(database: database)
            let seed = random.next()
            let state = Mutex<(acknowledged: [String], inFlight: String?, searches: Int, errors: [String])>(([], nil, 0, []))
            let stop = Atomic<Bool>(false)
            let socket = server.socket
            let writer = Thread {
                var random = SeededRandom(seed: seed)
                guard let client = try? UnixHTTPClient(path: socket, timeout: 10) else { return }
                for b in 0..<10_000 where !stop.load(ordering: .relaxed) {
                    let batch = "s\(round)x\(b)"
                    let lines = (0..<batchSize).map { Self.line(id: "\(batch)-\($0)", tenant: "t\(b % 2)", random: &random) }
                    let body = "{\"tenant\":\"t\(b % 2)\",\"precedents\":[" + lines.joined(separator: ",").replacingOccurrences(of: ",\"tenant\":\"t\(b % 2)\"", with: "") + "]}"
                    state.withLock { $0.inFlight = batch }
                    guard let reply = try? client.send("POST", "/v1/collections/c/precedents", body: Array(body.utf8)) else { return }
                    state.withLock {
                        if reply.status == 201 { $0.acknowledged.append(batch) } else { $0.errors.append("add \(reply.status): \(reply.text)") }
                        $0.inFlight = nil
                    }
                }
            }
            let searcher = Thread {
                guard let client = try? UnixHTTPClient(path: socket, timeout: 10) else { return }
                let query = (0..<Self.dimension).flatMap { i in withUnsafeBytes(of: Float(i % 3).bitPattern.littleEndian) { Array($0) } }
                while !stop.load(ordering: .relaxed) {
                    guard let reply = try? client.send("POST", "/v1/collections/c/search/binary?tenant=t0&k=5&includePrecedents=false", body: query, contentType: "application/octet-stream") else { return }
                    state.withLock {
                        if reply.status == 200 { $0.searches += 1 } else { $0.errors.append("search \(reply.status): \(reply.text)") }
                    }
                }
            }
            writer.start()
            searcher.start()
            Thread.sleep(forTimeInterval: 0.1 + 0.7 * Double(random.next() % 1_000) / 1_000)
            kill(server.process.processIdentifier, SIGKILL)
            server.process.waitUntilExit()
            stop.store(true, ordering: .relaxed)
            // Both threads end: their connections were closed by the kill.
            let deadline = Date().addingTimeInterval(20)
            while writer.isExecuting || searcher.isExecuting, Date() < deadline { usleep(10_000) }
            #expect(!writer.isExecuting && !searcher.isExecuting, "a client hung after the kill")

            let snapshot = state.withLock { $0 }
            #expect(snapshot.errors.isEmpty, "\(snapshot.errors.prefix(3))")
            searches += snapshot.searches
            acknowledged.formUnion(snapshot.acknowledged)
            sent.formUnion(snapshot.acknowledged)
            if let inFlight = snapshot.inFlight { sent.insert(inFlight) }

            let stored = try StoredFile(path: database.path, collection: "c")
            #expect(stored.integrity == "ok", "round \(round)")
            let counts = stored.countsByBatch()
            for (name, count) in counts {
                #expect(count == batchSize, "batch \(name): \(count) of \(batchSize) rows")
                #expect(sent.contains(name), "batch \(name) present but never sent")
            }
            for name in acknowledged.union(present) {
                #expect(counts[name] == batchSize, "batch \(name) acknowledged or seen before, now \(counts[name] ?? 0) rows")
            }
            present.formUnion(counts.keys)
            if let inFlight = snapshot.inFlight, counts[inFlight] == nil {
                sent.remove(inFlight)  // never committed: may not appear later either
            }
            try Self.expectRowsComplete(database.path)
        }
        let stored = try StoredFile(path: database.path, collection: "c")
        try stored.expectIndexMatchesStoredVectors(path: database.path, collection: "c", metric: .cosine, dimension: Self.dimension, seed: 6)
        #expect(acknowledged.count > rounds, "the writer hardly wrote: \(acknowledged.count) batches")
        Reliability.report("casebook serve: \(rounds) SIGKILLs under write load, \(acknowledged.count) acknowledged batches all present, \(present.count - acknowledged.count) committed but unacknowledged, \(searches) searches answered; \(stored.rows.count) rows checked against brute force")
    }
}
