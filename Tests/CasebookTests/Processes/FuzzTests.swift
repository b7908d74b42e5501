import Foundation
import GRDB
import Testing
import UnixSocketHTTP

@testable import Casebook

/// Valid JSONL lines and HTTP bodies mutated with a fixed seed (`Mutator`): nothing crashes or
/// hangs, every input is either accepted whole or refused with a documented error, and a refused
/// input leaves the database exactly as it was. 5,000 lines, 40 `casebook add` files and 3,000
/// HTTP requests per run by default (`CASEBOOK_RELIABILITY_SCALE` multiplies them).
@Suite struct FuzzTests {
    static let dimension = 8

    static let lines: [String] = [
        #"{"id":"p1","tenant":"a","category":"ndr","context":{"reason":"address","attempts":2,"flags":{"vip":true}},"text":"courier could not find the address","outcome":"rescheduled","wasSuccessful":true,"tags":["ndr","retry"],"createdAt":"2026-03-01T10:00:00.250Z","vector":[0.1,0.2,-0.3,0.4,0.5,-0.6,0.7,0.8]}"#,
        #"{"id":"p2","tenant":"b","vector":[1,0,0,0,0,0,0,1],"createdAt":1760000000}"#,
        #"{"tenant":"a","category":"credit","decisionEventId":"evt-9","context":{"limit":5000,"overdue":[1,2,3]},"wasSuccessful":false,"vector":[0,1,0,1,0,1,0,1]}"#,
        #"{"id":"p4","tenant":"c","text":"split shipment","tags":[],"context":{},"vector":[1e-3,2e-3,3e-3,4e-3,5e-3,6e-3,7e-3,8e-3]}"#,
    ]

    /// Lines for a hashed collection: no vector, the text and context are embedded.
    static let hashedLines: [String] = [
        #"{"id":"h1","tenant":"a","category":"ndr","context":{"reason":"customer_unreachable","attempts":3},"text":"customer not answering the phone","tags":["ndr"]}"#,
        #"{"id":"h2","tenant":"b","text":"stock allocation for a priority order","context":{"priority":"high"}}"#,
    ]

    @Test func mutatedJSONLLinesAreAddedWholeOrChangeNothing() throws {
        let database = TemporaryDatabase()
        let casebook = try Casebook(path: database.path)
        let external = try casebook.createCollection(CollectionSpec(name: "c", dimension: Self.dimension, metric: .cosine))
        let hashed = try casebook.createCollection(CollectionSpec(name: "h", dimension: 64, embedder: .hashedV1()))
        var mutator = Mutator(seed: 4_242)
        let cases = 5_000 * Reliability.scale
        var (unparsed, refused, added) = (0, 0, 0)
        var slowest = 0.0
        for number in 0..<cases {
            let useHashed = number % 4 == 3
            let base = useHashed ? Self.hashedLines[number % Self.hashedLines.count] : Self.lines[number % Self.lines.count]
            let line = mutator.mutate(base)
            let collection = useHashed ? hashed : external
            let before = collection.count
            let started = Date()
            defer { slowest = max(slowest, Date().timeIntervalSince(started)) }
            guard let precedent = try? Precedent(jsonText: line) else {
                unparsed += 1
                continue
            }
            let ids: [PrecedentID]
            do {
                ids = try collection.add([precedent])
            } catch {
                refused += 1
                #expect(collection.count == before, "refused (\(error)) but the count changed: \(line)")
                continue
            }
            added += 1
            #expect(collection.count == before + 1, "\(line)")
            guard let stored = try? collection.get(tenant: precedent.tenant, id: ids[0]) else {
                Issue.record("added but not found: \(line)")
                continue
            }
            #expect(stored.tenant == precedent.tenant && stored.text == precedent.text && stored.context == precedent.context)
        }
        #expect(slowest < 5, "one input took \(slowest) s")
        #expect(unparsed > 0 && refused > 0 && added > 0, "the mutations did not reach every outcome: \(unparsed), \(refused), \(added)")
        let storedExternal = try StoredFile(path: database.path, collection: "c")
        let storedHashed = try StoredFile(path: database.path, collection: "h")
        #expect(storedExternal.integrity == "ok")
        #expect(storedExternal.rows.count + storedHashed.rows.count == added)
        try storedExternal.expectIndexMatchesStoredVectors(path: database.path, collection: "c", metric: .cosine, dimension: Self.dimension, seed: 9)
        Reliability.report("JSONL fuzz: \(cases) mutated lines, \(unparsed) refused by the line parser (syntax or field types), \(refused) refused by add, \(added) added; slowest \(String(format: "%.3f", slowest)) s")
    }

    /// `casebook add` on files of 20 valid lines and one mutated line: with --atomic all 21 or
    /// none; streamed (every other file), all 21 or exactly the lines before the mutated one.
    @Test func mutatedLineInAFileAddsAllOrNothing() throws {
        let database = TemporaryDatabase()
        #expect(try CasebookProcess.run(["init", "--collection", "c", "--embedder", "external", "--dim", "\(Self.dimension)", "--db", database.path]).status == 0)
        var mutator = Mutator(seed: 4_243)
        var total = 0, accepted = 0
        for file in 0..<(40 * Reliability.scale) {
            var lines = (0..<20).map { i in
                Self.lines[i % Self.lines.count].replacingOccurrences(of: "\"id\":\"p", with: "\"id\":\"f\(file)-\(i)-p")
            }
            let position = mutator.below(21)
            lines.insert(mutator.mutate(Self.lines[file % Self.lines.count]), at: position)
            let atomic = file % 2 == 0
            let outcome = try CasebookProcess.run(
                ["add", "--collection", "c", "--db", database.path, "-"] + (atomic ? ["--atomic"] : []),
                stdin: lines.joined(separator: "\n"))
            let count = try StoredFile(path: database.path, collection: "c").rows.count
            if outcome.status == 0 {
                accepted += 1
                #expect(count == total + 21 || count == total + 20, "accepted file \(file): \(count - total) rows")
            } else {
                let expected = atomic ? 0 : position
                #expect(count == total + expected, "refused file \(file) (\(outcome.stderr.prefix(120))) wrote \(count - total) rows, not \(expected)")
                #expect(!outcome.stderr.isEmpty)
            }
            total = count
        }
        #expect(accepted < 40 * Reliability.scale, "no mutated line was refused")
        Reliability.report("casebook add fuzz: \(40 * Reliability.scale) files with a mutated line, \(accepted) accepted whole")
    }

    /// What a refused request must not change: precedents, their tags and vectors, collections,
    /// recorded uses and outcomes (the search log is written in the background by accepted
    /// searches, so it is left out).
    static func fingerprint(_ reader: DatabaseQueue) throws -> [Double] {
        try reader.read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT (SELECT count(*) FROM precedent), (SELECT total(pk) + total(updated_at) + total(length(context)) + total(length(text)) + total(was_successful) FROM precedent),
                       (SELECT count(*) FROM precedent_tag), (SELECT total(length(data)) FROM precedent_vector),
                       (SELECT count(*) FROM collection), (SELECT count(*) FROM match_use), (SELECT count(*) FROM decision_outcome)
                """)!
            return (0..<7).map { Double.fromDatabaseValue(row[$0]) ?? -1 }
        }
    }

    @Test func mutatedHTTPBodiesAreAnsweredAndRefusalsChangeNothing() throws {
        let server = try ServerProcess()
        var client = try UnixHTTPClient(path: server.socket, timeout: 10)
        func send(_ method: String, _ path: String, _ body: String) throws -> UnixHTTPClient.Reply {
            try client.send(method, path, body: Array(body.utf8))
        }
        #expect(try send("POST", "/v1/collections", #"{"name":"c","dim":8,"metric":"cosine","embedder":"external"}"#).status == 201)
        #expect(try send("POST", "/v1/collections", #"{"name":"h","dim":64,"embedder":"hashed-v1"}"#).status == 201)
        #expect(try send("POST", "/v1/collections/c/precedents", #"{"tenant":"a","precedents":[\#(Self.lines[0]),\#(Self.lines[2])]}"#).status == 201)
        #expect(try send("POST", "/v1/collections/h/precedents", #"{"tenant":"a","precedents":[\#(Self.hashedLines[0])]}"#).status == 201)
        let searched = try send("POST", "/v1/collections/c/search", #"{"tenant":"a","k":2,"vector":[1,0,0,0,0,0,0,0],"decisionId":"d1"}"#)
        let queryId = ((try JSONSerialization.jsonObject(with: Data(searched.body))) as? [String: Any])?["queryId"] as? String ?? "?"
        let templates: [(String, String, String)] = [
            ("POST", "/v1/collections", #"{"name":"n1","dim":8,"metric":"l2","embedder":"external"}"#),
            ("POST", "/v1/collections/c/precedents", #"{"tenant":"a","precedents":[\#(Self.lines[1]),\#(Self.lines[3])]}"#),
            ("POST", "/v1/collections/c/search", #"{"tenant":"a","k":3,"vector":[1,0,0,0,0,0,0,1],"filter":{"category":"ndr","tags":["ndr"],"wasSuccessful":true,"since":"2024-01-01T00:00:00Z","excludeIds":["p9"]},"actor":"bot","decisionId":"d2","rerank":{"successWeight":0.1}}"#),
            ("POST", "/v1/collections/c/search/batch", #"{"tenant":"a","k":2,"vectors":[[1,0,0,0,0,0,0,0],[0,1,0,0,0,0,0,0]],"nprobe":2,"exact":true}"#),
            ("POST", "/v1/collections/h/search", #"{"tenant":"a","k":2,"text":"parcel lost","context":{"reason":"address"},"explain":true}"#),
            ("PATCH", "/v1/collections/c/precedents/p1?tenant=a", #"{"outcome":"returned","wasSuccessful":false,"tags":["x"],"category":"ndr"}"#),
            ("POST", "/v1/matches/\(queryId)/uses", #"{"tenant":"a","precedentId":"p1","type":"cited","actor":"bot","eventId":"e1"}"#),
            ("POST", "/v1/decisions/d1/outcome", #"{"tenant":"a","outcome":"delivered","wasSuccessful":true,"precedentCollection":"c"}"#),
            ("POST", "/v1/collections/c/index/train", #"{"nlist":2}"#),
        ]
        let reader = try DatabaseQueue(path: server.database.path)
        defer { try? reader.close() }
        var mutator = Mutator(seed: 4_244)
        let cases = 3_000 * Reliability.scale
        var statuses: [Int: Int] = [:]
        for number in 0..<cases {
            let (method, path, body) = templates[number % templates.count]
            let mutated = mutator.mutate(body)
            let before = try Self.fingerprint(reader)
            let reply: UnixHTTPClient.Reply
            do {
                reply = try send(method, path, mutated)
            } catch {
                Issue.record("no answer to \(method) \(path) \(mutated.prefix(200)): \(error)")
                client = try UnixHTTPClient(path: server.socket, timeout: 10)
                continue
            }
            statuses[reply.status, default: 0] += 1
            #expect([200, 201, 400, 404, 409, 413, 422].contains(reply.status), "\(reply.status) for \(method) \(path) \(mutated.prefix(300)): \(reply.text.prefix(200))")
            if reply.status >= 400 {
                #expect(try Self.fingerprint(reader) == before, "refused \(method) \(path) changed the database: \(mutated.prefix(300))")
                #expect(reply.text.contains("\"error\""))
            }
        }
        #expect(try client.send("GET", "/v1/health").status == 200)
        #expect(try reader.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
        #expect(try server.stop() == 0)
        Reliability.report("HTTP fuzz: \(cases) mutated bodies over \(templates.count) routes, statuses \(statuses.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))")
    }
}
