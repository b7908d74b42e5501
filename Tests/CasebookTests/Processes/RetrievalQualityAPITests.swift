import Foundation
import Testing

@testable import Casebook

/// Query weighting and hashed-v2 as other processes meet them: collections created over the
/// socket with `queryWeighting` and `embedder: hashed-v2`, bad values refused with the field
/// named, a query sharing nothing with the tenant answered with no results, and a server that
/// follows a `casebook reembed` run by another process (its searches switch to the new vectors).
@Suite struct RetrievalQualityAPITests {
    @Test(arguments: StoreKind.allCases) func socketAndCommandLine(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let server = try ServerProcess(database: database)
        #expect(try server.request("POST", "/v1/collections", #"{"name":"w","embedder":"hashed-v2","dim":256}"#).status == 201)
        #expect(try server.request("POST", "/v1/collections", #"{"name":"p","queryWeighting":"none","dim":256}"#).status == 201)
        for body in [
            #"{"name":"x","queryWeighting":"bm25"}"#, #"{"name":"x","embedder":"external","dim":4,"queryWeighting":"idf"}"#,
            #"{"name":"x","embedder":"hashed-v3"}"#, #"{"name":"x","queryWeighting":7}"#,
        ] {
            let reply = try server.request("POST", "/v1/collections", body)
            #expect((400...422).contains(reply.status), "\(body): \(reply.status) \(reply.body)")
            #expect(reply.body.contains("queryWeighting") || reply.body.contains("embedder"), "\(reply.body)")
        }
        let rows = ReembedTests.rows(tenant: "acme", count: 60, seed: 21).map { p in
            var p = p
            p.text = "customer refused the parcel"
            return p
        }
        for name in ["w", "p"] {
            let add = try server.request("POST", "/v1/collections/\(name)/precedents", try Self.addBody("acme", rows))
            #expect(add.status == 201, "\(add.body)")
        }
        // Nothing in common with acme's precedents: no results where queries are weighed.
        let unshared = #"{"tenant":"acme","text":"zygomorphic quixotry","k":5}"#
        #expect((try server.request("POST", "/v1/collections/w/search", unshared).json["results"] as? [Any])?.count == 0)
        #expect((try server.request("POST", "/v1/collections/p/search", unshared).json["results"] as? [Any])?.count == 5)
        // Another process re-embeds; the server follows and answers from the new vectors.
        let query = #"{"tenant":"acme","context":{"minutes":250,"calls":4},"k":5,"includePrecedents":false}"#
        let run = try CasebookProcess.run(["reembed", "--collection", "w", "--db", database.path, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains(#""to":"hashed-v2""#) && run.stdout.contains(#""scalesVersion":1"#), "\(run.stdout)")
        let local = try Casebook(path: database.path).collection("w")
        let expected = try local.search(SearchRequest(tenant: "acme", k: 5, context: ["minutes": 250, "calls": 4], log: false))
            .results.map(\.id.rawValue)
        var served: [String] = []
        for _ in 0..<100 {
            let reply = try server.request("POST", "/v1/collections/w/search", query)
            served = (reply.json["results"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            if served == expected { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(served == expected)
        let info = try server.request("GET", "/v1/collections/w?tenant=acme")
        #expect(info.body.contains("hashed-v2"), "\(info.body)")
        // A vector collection cannot be re-embedded; the command says why.
        #expect(try server.request("POST", "/v1/collections", #"{"name":"e","embedder":"external","dim":2}"#).status == 201)
        let refused = try CasebookProcess.run(["reembed", "--collection", "e", "--db", database.path])
        #expect(refused.status != 0 && refused.stderr.contains("external"), "\(refused.stderr)")
    }

    /// The body adding `rows` for `tenant`: the tenant is the body's, each precedent leaves it out.
    static func addBody(_ tenant: String, _ rows: [Precedent]) throws -> String {
        let items = try rows.map { p -> String in
            var object = try #require(try JSONValue.parse(String(decoding: try JSONEncoder().encode(p), as: UTF8.self)).objectValue)
            object["tenant"] = nil
            return JSONWriter.string(.object(object))
        }
        return #"{"tenant":""# + tenant + #"","precedents":["# + items.joined(separator: ",") + "]}"
    }

    /// `serve --refit-stale-every`: tenants added to a hashed-v2 collection over the socket are
    /// fitted by the server itself, each when it arrives and again when it has doubled, and its
    /// searches then answer from the fitted vectors.
    @Test(arguments: StoreKind.allCases) func aServerFitsStaleTenantsByItself(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let server = try ServerProcess(arguments: ["--refit-stale-every", "0.2"], database: database)
        #expect(try server.request("POST", "/v1/collections", #"{"name":"w","embedder":"hashed-v2","dim":256}"#).status == 201)
        func fitted(_ tenant: String, _ precedents: Int) throws -> Bool {
            for _ in 0..<150 {
                let stored = try Casebook(path: database.path, collections: ["w"]).collection("w").spec.embedder
                if stored.numericScales?.fitted[tenant]?.precedents == precedents { return true }
                Thread.sleep(forTimeInterval: 0.1)
            }
            return false
        }
        let acme = ReembedTests.rows(tenant: "acme", count: 80, seed: 31)
        #expect(try server.request("POST", "/v1/collections/w/precedents", try Self.addBody("acme", Array(acme.prefix(40)))).status == 201)
        #expect(try fitted("acme", 40))
        let globex = ReembedTests.rows(tenant: "globex", count: 20, scale: 100, seed: 32)
        #expect(try server.request("POST", "/v1/collections/w/precedents", try Self.addBody("globex", globex)).status == 201)
        #expect(try fitted("globex", 20))
        // Doubled: fitted again.
        #expect(try server.request("POST", "/v1/collections/w/precedents", try Self.addBody("acme", Array(acme.suffix(40)))).status == 201)
        #expect(try fitted("acme", 80))
        let local = try Casebook(path: database.path).collection("w")
        try ReembedTests.expectConsistent(local, acme + globex)
        let query = #"{"tenant":"acme","context":{"minutes":250,"calls":4},"k":5,"includePrecedents":false}"#
        let expected = try local.search(SearchRequest(tenant: "acme", k: 5, context: ["minutes": 250, "calls": 4], log: false))
            .results.map(\.id.rawValue)
        let served = (try server.request("POST", "/v1/collections/w/search", query).json["results"] as? [[String: Any]] ?? [])
            .compactMap { $0["id"] as? String }
        #expect(served == expected && served.count == 5)
        let health = try server.request("GET", "/v1/health").json
        #expect(health["refittingError"] == nil || health["refittingError"] is NSNull, "\(health)")
    }

    /// `POST /v1/collections/{name}/reembed`: the whole collection, named tenants and the stale
    /// ones, each leaving what the library's re-embedding leaves (vectors and counts against a
    /// recount; searches as a local instance answers them); requests it cannot do are refused with
    /// nothing changed.
    @Test(arguments: StoreKind.allCases) func theReembedRouteFitsAsTheLibraryDoes(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let server = try ServerProcess(database: database)
        #expect(try server.request("POST", "/v1/collections", #"{"name":"w","embedder":"hashed-v1","dim":256}"#).status == 201)
        let acme = ReembedTests.rows(tenant: "acme", count: 40, seed: 41)
        let globex = ReembedTests.rows(tenant: "globex", count: 30, scale: 100, seed: 42)
        #expect(try server.request("POST", "/v1/collections/w/precedents", try Self.addBody("acme", acme)).status == 201)
        #expect(try server.request("POST", "/v1/collections/w/precedents", try Self.addBody("globex", globex)).status == 201)
        let stored = { try Casebook(path: database.path, collections: ["w"]).collection("w") }

        // Refused, nothing changed: tenants of a hashed-v1 collection, both selections, a kind.
        for (body, code) in [
            (#"{"tenants":["acme"]}"#, "invalid_value"), (#"{"tenants":["acme"],"stale":true}"#, "invalid_value"),
            (#"{"embedder":"external"}"#, "invalid_value"), (#"{"tenants":"acme"}"#, "wrong_type"),
        ] {
            let refused = try server.request("POST", "/v1/collections/w/reembed", body)
            #expect(refused.errorCode == code && (400...422).contains(refused.status), "\(body): \(refused.body)")
        }
        #expect(try stored().spec.embedder.kind == "hashed-v1")

        let whole = try server.request("POST", "/v1/collections/w/reembed", nil)
        #expect(whole.status == 200 && whole.json["to"] as? String == "hashed-v2" && whole.json["precedents"] as? Int == 70, "\(whole.body)")
        #expect(whole.json["tenants"] == nil)
        let more = ReembedTests.rows(tenant: "initech", count: 20, seed: 43)
        #expect(try server.request("POST", "/v1/collections/w/precedents", try Self.addBody("initech", more)).status == 201)
        let stale = try server.request("POST", "/v1/collections/w/reembed", #"{"stale":true}"#)
        #expect(stale.json["tenants"] as? [String] == ["initech"] && stale.json["precedents"] as? Int == 20, "\(stale.body)")
        let named = try server.request("POST", "/v1/collections/w/reembed", #"{"tenants":["globex"]}"#)
        #expect(named.json["tenants"] as? [String] == ["globex"] && named.json["precedents"] as? Int == 30, "\(named.body)")
        let nobody = try server.request("POST", "/v1/collections/w/reembed", #"{"tenants":["nobody"]}"#)
        #expect(nobody.status == 422 && nobody.body.contains("nobody"), "\(nobody.body)")
        #expect(try server.request("POST", "/v1/collections/none/reembed", "{}").status == 404)

        let local = try stored()
        #expect(local.staleTenants().isEmpty)
        try ReembedTests.expectConsistent(local, acme + globex + more)
        let expected = try local.search(SearchRequest(tenant: "globex", k: 5, context: ["minutes": 25_000], log: false))
            .results.map(\.id.rawValue)
        let served = (try server.request("POST", "/v1/collections/w/search",
            #"{"tenant":"globex","context":{"minutes":25000},"k":5,"includePrecedents":false}"#).json["results"] as? [[String: Any]] ?? [])
            .compactMap { $0["id"] as? String }
        #expect(served == expected && served.count == 5)
    }

    /// A hybrid collection over the socket and the command line: created with companionDim, fed
    /// text with vectors, searched with both (each result's two parts, a bad weight refused).
    @Test func hybridOverTheSocketAndTheCommandLine() throws {
        let database = TemporaryDatabase()
        let server = try ServerProcess(database: database)
        let create = try server.request("POST", "/v1/collections", #"{"name":"h","dim":128,"spaceId":"toy-3","companionDim":3}"#)
        #expect(create.status == 201, "\(create.body)")
        let add = try server.request("POST", "/v1/collections/h/precedents", """
            {"tenant":"acme","precedents":[
              {"id":"a","text":"parcel refused at the door","vector":[1,0,0]},
              {"id":"b","text":"parcel refused at the door","vector":[0,1,0]},
              {"id":"c","text":"customer asked for a weekend slot","vector":[1,0.1,0]}]}
            """)
        #expect(add.status == 201, "\(add.body)")
        let missing = try server.request("POST", "/v1/collections/h/precedents", #"{"tenant":"acme","precedents":[{"id":"d","text":"x"}]}"#)
        #expect((400...422).contains(missing.status) && missing.body.contains("vector"), "\(missing.body)")
        let search = try server.request("POST", "/v1/collections/h/search",
            #"{"tenant":"acme","text":"refused parcel","vector":[1,0,0],"lexicalWeight":0.5,"spaceId":"toy-3","k":3}"#)
        let results = search.json["results"] as? [[String: Any]] ?? []
        #expect(search.status == 200 && results.first?["id"] as? String == "a", "\(search.body)")
        let parts = results.first?["parts"] as? [String: Any]
        #expect((parts?["vector"] as? Double).map { abs($0 - 1) < 1e-5 } == true, "\(search.body)")
        let bad = try server.request("POST", "/v1/collections/h/search", #"{"tenant":"acme","text":"x","vector":[1,0,0],"lexicalWeight":2}"#)
        #expect((400...422).contains(bad.status) && bad.body.contains("lexicalWeight"), "\(bad.body)")
        let cli = try CasebookProcess.run([
            "search", "--db", database.path, "--collection", "h", "--tenant", "acme", "--text", "refused parcel",
            "--vector", "[0,1,0]", "--lexical-weight", "0.3", "--k", "2", "--no-log",
        ])
        #expect(cli.status == 0 && cli.stdout.contains("(text ") && cli.stdout.contains(" b "), "\(cli.stdout) \(cli.stderr)")
    }
}
