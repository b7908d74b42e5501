import Foundation
import Testing
import UnixSocketHTTP

@testable import Casebook

/// Randomized operations from three tenants, through the library and through the socket, each
/// checked against a plain in-memory model of what every tenant may see: ids drawn from one small
/// pool so they collide across tenants all the time, searches compared with brute force over the
/// model's rows of that tenant, uses sent with other tenants' queryIds and unshown precedents,
/// and stats compared with the model's counts. 600 operations per API by default
/// (`CASEBOOK_RELIABILITY_SCALE` multiplies them).
@Suite struct TenantModelTests {
    static let dimension = 8
    static let tenants = ["acme", "globex", "initech"]

    /// What a call came back with, in terms both APIs share.
    enum Outcome: Equatable, CustomStringConvertible {
        case ok, notFound, conflict, notShown
        case other(String)
        var description: String {
            switch self {
            case .ok: "ok"
            case .notFound: "not found"
            case .conflict: "conflict"
            case .notShown: "not shown"
            case .other(let text): text
            }
        }
    }

    /// The operations under test, as a client of either API performs them.
    protocol API {
        func add(_ tenant: String, _ rows: [(id: String, vector: [Float])]) throws -> Outcome
        func get(_ tenant: String, _ id: String) throws -> (Outcome, outcome: String?)
        func setOutcome(_ tenant: String, _ id: String, _ outcome: String) throws -> Outcome
        func delete(_ tenant: String, _ id: String) throws -> Outcome
        func search(_ tenant: String, _ query: [Float]) throws -> (queryId: String, ids: [String])
        func use(_ tenant: String, queryId: String, precedent: String) throws -> Outcome
        func stats(_ tenant: String) throws -> (queries: Int, shown: Int, used: Int)
        func count(_ tenant: String) throws -> Int
    }

    struct Model {
        struct Row { var vector: [Float]; var outcome: String? }
        var rows: [String: [String: Row]] = [:]
        /// queryId → (tenant, ids shown).
        var queries: [String: (tenant: String, shown: [String])] = [:]
        var usedPairs: Set<String> = []

        func stats(_ tenant: String) -> (queries: Int, shown: Int, used: Int) {
            let own = queries.values.filter { $0.tenant == tenant }
            return (own.count, own.reduce(0) { $0 + $1.shown.count }, usedPairs.filter { $0.hasPrefix(tenant + "|") }.count)
        }
    }

    static func run(_ api: some API, label: String, seed: UInt64) throws -> Int {
        var random = SeededRandom(seed: seed)
        var model = Model()
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        let ids = (0..<12).map { "p\($0)" }
        let operations = 600 * Reliability.scale
        var seen: [String: Int] = [:]
        for step in 0..<operations {
            let tenant = pick(tenants)
            let id = pick(ids)
            let mine = model.rows[tenant, default: [:]]
            let context = "\(label) step \(step): \(tenant)"
            switch random.next() % 9 {
            case 0, 1:
                var batch = [(id: id, vector: random.vector(dimension: dimension))]
                if random.next() % 2 == 0 { batch.append((pick(ids), random.vector(dimension: dimension))) }
                let clash = batch.contains { mine[$0.id] != nil } || Set(batch.map(\.id)).count < batch.count
                let got = try api.add(tenant, batch)
                #expect(got == (clash ? .conflict : .ok), "\(context) add \(batch.map(\.id)): \(got)")
                seen["add \(got)", default: 0] += 1
                if got == .ok { for row in batch { model.rows[tenant, default: [:]][row.id] = Model.Row(vector: row.vector, outcome: nil) } }
            case 2:
                let (got, outcome) = try api.get(tenant, id)
                #expect(got == (mine[id] == nil ? .notFound : .ok), "\(context) get \(id): \(got)")
                // Another tenant holds this id: the case isolation is about.
                if mine[id] == nil, model.rows.contains(where: { $0.key != tenant && $0.value[id] != nil }) { seen["get of another's id", default: 0] += 1 }
                if got == .ok { #expect(outcome == mine[id]?.outcome, "\(context) get \(id): outcome \(outcome ?? "nil")") }
            case 3:
                let outcome = "o\(step)"
                let got = try api.setOutcome(tenant, id, outcome)
                #expect(got == (mine[id] == nil ? .notFound : .ok), "\(context) update \(id): \(got)")
                if got == .ok { model.rows[tenant]![id]!.outcome = outcome }
            case 4:
                let got = try api.delete(tenant, id)
                #expect(got == (mine[id] == nil ? .notFound : .ok), "\(context) delete \(id): \(got)")
                if got == .ok { model.rows[tenant]![id] = nil }
            case 5, 6:
                let query = random.vector(dimension: dimension)
                let found = try api.search(tenant, query)
                let expected = mine.map { (id: $0.key, score: BruteForce.score(query, $0.value.vector, .cosine)) }
                    .sorted { $0.score > $1.score }.prefix(5).map(\.id)
                #expect(found.ids == expected, "\(context) search: \(found.ids) vs \(expected)")
                model.queries[found.queryId] = (tenant, found.ids)
            case 7:
                // Often another tenant's query, often a precedent it did not show.
                guard let queryId = model.queries.keys.sorted().randomElement(using: &random) else { continue }
                let query = model.queries[queryId]!
                let precedent = random.next() % 2 == 0 && !query.shown.isEmpty ? pick(query.shown) : id
                let expected: Outcome = query.tenant != tenant ? .notFound : (query.shown.contains(precedent) ? .ok : .notShown)
                let got = try api.use(tenant, queryId: queryId, precedent: precedent)
                #expect(got == expected, "\(context) use of \(query.tenant)'s query, \(precedent): \(got) vs \(expected)")
                seen["use \(expected)", default: 0] += 1
                if got == .ok { model.usedPairs.insert("\(tenant)|\(queryId)|\(precedent)") }
            default:
                let got = try api.stats(tenant)
                let expected = model.stats(tenant)
                #expect(got == expected, "\(context) stats \(got) vs \(expected)")
                #expect(try api.count(tenant) == mine.count, "\(context) count")
            }
        }
        // Every kind of case occurred, or the run proved less than it claims.
        for kind in ["add ok", "add conflict", "get of another's id", "use ok", "use not found", "use not shown"] {
            #expect(seen[kind, default: 0] > 0, "\(label): no \(kind) in \(seen)")
        }
        return operations
    }

    @Test func libraryMatchesTheModel() throws {
        let database = TemporaryDatabase()
        let casebook = try Casebook(path: database.path)
        let collection = try casebook.createCollection(CollectionSpec(name: "c", dimension: Self.dimension, metric: .cosine))
        let operations = try Self.run(LibraryAPI(casebook: casebook, collection: collection), label: "library", seed: 71)
        Reliability.report("tenant model, library: \(operations) operations checked")
    }

    @Test func socketMatchesTheModel() throws {
        let server = try ServerProcess()
        let api = try SocketAPI(client: UnixHTTPClient(path: server.socket, timeout: 30))
        #expect(try api.client.send("POST", "/v1/collections", body: Array(#"{"name":"c","dim":8,"metric":"cosine","embedder":"external"}"#.utf8)).status == 201)
        let operations = try Self.run(api, label: "socket", seed: 72)
        #expect(try server.stop() == 0)
        Reliability.report("tenant model, socket: \(operations) operations checked")
    }
}

extension TenantModelTests {
    struct LibraryAPI: API {
        let casebook: Casebook
        let collection: PrecedentCollection

        func outcome(_ body: () throws -> Void) -> Outcome {
            do {
                try body()
                return .ok
            } catch let error as CasebookError {
                switch error {
                case .precedentNotFound, .queryNotFound: return .notFound
                case .duplicateID, .item(_, _, .duplicateID): return .conflict
                case .precedentNotShown: return .notShown
                default: return .other("\(error)")
                }
            } catch {
                return .other("\(error)")
            }
        }

        func add(_ tenant: String, _ rows: [(id: String, vector: [Float])]) throws -> Outcome {
            outcome { _ = try collection.add(rows.map { Precedent(id: PrecedentID($0.id), tenant: TenantID(tenant), vector: $0.vector) }) }
        }
        func get(_ tenant: String, _ id: String) throws -> (Outcome, outcome: String?) {
            var found: Precedent?
            let result = outcome { found = try collection.get(tenant: TenantID(tenant), id: PrecedentID(id)) }
            return (result, found?.outcome)
        }
        func setOutcome(_ tenant: String, _ id: String, _ text: String) throws -> Outcome {
            outcome { try collection.update(Precedent(id: PrecedentID(id), tenant: TenantID(tenant), outcome: text)) }
        }
        func delete(_ tenant: String, _ id: String) throws -> Outcome {
            outcome { try collection.delete(tenant: TenantID(tenant), id: PrecedentID(id)) }
        }
        func search(_ tenant: String, _ query: [Float]) throws -> (queryId: String, ids: [String]) {
            let response = try collection.search(SearchRequest(tenant: TenantID(tenant), k: 5, vector: query, includePrecedents: false))
            return (response.queryId, response.results.map(\.id.rawValue))
        }
        func use(_ tenant: String, queryId: String, precedent: String) throws -> Outcome {
            outcome { _ = try casebook.recordUse(UseEvent(tenant: TenantID(tenant), queryId: queryId, precedentId: PrecedentID(precedent), type: .cited)) }
        }
        func stats(_ tenant: String) throws -> (queries: Int, shown: Int, used: Int) {
            let stats = try casebook.statistics(MatchStatisticsRequest(tenant: TenantID(tenant), collection: "c"))
            return (stats.queries, stats.shown, stats.used)
        }
        func count(_ tenant: String) throws -> Int { collection.count(tenant: TenantID(tenant)) }
    }

    struct SocketAPI: API {
        let client: UnixHTTPClient

        func call(_ method: String, _ path: String, _ body: String? = nil) throws -> (Outcome, [String: Any]) {
            let reply = try client.send(method, path, body: body.map { Array($0.utf8) })
            let json = (try? JSONSerialization.jsonObject(with: Data(reply.body))) as? [String: Any] ?? [:]
            let code = (json["error"] as? [String: Any])?["code"] as? String
            switch reply.status {
            case 200, 201, 204: return (.ok, json)
            case 404: return (.notFound, json)
            case 409: return (.conflict, json)
            case 422 where code == "precedent_not_shown": return (.notShown, json)
            default: return (.other("\(reply.status) \(reply.text.prefix(200))"), json)
            }
        }

        static func vector(_ values: [Float]) -> String { "[" + values.map { "\($0)" }.joined(separator: ",") + "]" }

        func add(_ tenant: String, _ rows: [(id: String, vector: [Float])]) throws -> Outcome {
            let items = rows.map { "{\"id\":\"\($0.id)\",\"vector\":\(Self.vector($0.vector))}" }.joined(separator: ",")
            return try call("POST", "/v1/collections/c/precedents", "{\"tenant\":\"\(tenant)\",\"precedents\":[\(items)]}").0
        }
        func get(_ tenant: String, _ id: String) throws -> (Outcome, outcome: String?) {
            let (result, json) = try call("GET", "/v1/collections/c/precedents/\(id)?tenant=\(tenant)")
            return (result, json["outcome"] as? String)
        }
        func setOutcome(_ tenant: String, _ id: String, _ text: String) throws -> Outcome {
            try call("PATCH", "/v1/collections/c/precedents/\(id)?tenant=\(tenant)", "{\"outcome\":\"\(text)\"}").0
        }
        func delete(_ tenant: String, _ id: String) throws -> Outcome {
            try call("DELETE", "/v1/collections/c/precedents/\(id)?tenant=\(tenant)").0
        }
        func search(_ tenant: String, _ query: [Float]) throws -> (queryId: String, ids: [String]) {
            let (result, json) = try call("POST", "/v1/collections/c/search",
                                          "{\"tenant\":\"\(tenant)\",\"k\":5,\"includePrecedents\":false,\"vector\":\(Self.vector(query))}")
            #expect(result == .ok, "search: \(result)")
            let ids = (json["results"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            return (json["queryId"] as? String ?? "", ids)
        }
        func use(_ tenant: String, queryId: String, precedent: String) throws -> Outcome {
            try call("POST", "/v1/matches/\(queryId)/uses", "{\"tenant\":\"\(tenant)\",\"precedentId\":\"\(precedent)\",\"type\":\"cited\"}").0
        }
        func stats(_ tenant: String) throws -> (queries: Int, shown: Int, used: Int) {
            let (_, json) = try call("GET", "/v1/stats?tenant=\(tenant)&collection=c")
            return (json["queries"] as? Int ?? -1, json["shown"] as? Int ?? -1, json["used"] as? Int ?? -1)
        }
        func count(_ tenant: String) throws -> Int {
            try call("GET", "/v1/collections/c?tenant=\(tenant)").1["count"] as? Int ?? -1
        }
    }
}
