import Foundation
import GRDB
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The socket API end to end: `casebook serve` in its own process, every request from `curl`.
@Suite(.serialized) struct SocketAPITests {
    /// Precedent rows in the server's file, read by another connection (WAL lets it).
    static func rows(_ server: ServerProcess, _ table: String = "precedent") throws -> Int {
        try DatabaseQueue(path: server.database.path).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM \(table)")! }
    }

    @Test func everyRouteWorksAndKeepsTenantsApart() throws {
        let server = try ServerProcess()
        #expect(try server.request("GET", "/v1/health").json["status"] as? String == "ok")

        // Collections: an external-vector one and a hashed-v1 one.
        let created = try server.request("POST", "/v1/collections", #"{"name":"emb","dim":3,"metric":"cosine","embedder":"external"}"#)
        #expect(created.status == 201 && created.json["dim"] as? Int == 3)
        #expect(try server.request("POST", "/v1/collections", #"{"name":"ndr"}"#).status == 201)
        #expect(try server.request("POST", "/v1/collections", #"{"name":"ndr"}"#).errorCode == "collection_exists")
        let list = try server.request("GET", "/v1/collections").json["collections"] as? [[String: Any]]
        #expect(list?.compactMap { $0["name"] as? String } == ["emb", "ndr"])

        // The same ids in two tenants.
        let add = try server.request("POST", "/v1/collections/emb/precedents", """
            {"tenant":"acme","precedents":[
              {"id":"p1","vector":[1,0,0],"category":"ndr","wasSuccessful":true,"decisionEventId":"d-old"},
              {"id":"p2","vector":[0.8,0.2,0]},{"id":"p3","vector":[0,1,0]}]}
            """)
        #expect(add.status == 201 && add.json["added"] as? Int == 3, "\(add.body)")
        #expect(try server.request("POST", "/v1/collections/emb/precedents",
                                   #"{"tenant":"globex","precedents":[{"id":"p1","vector":[0,0,1]}]}"#).status == 201)
        #expect(try server.request("GET", "/v1/collections/emb?tenant=acme").json["count"] as? Int == 3)

        // Search: vector, text, context; binary vector; batch.
        let search = try server.request("POST", "/v1/collections/emb/search",
                                        #"{"tenant":"acme","k":2,"vector":[1,0,0],"decisionId":"d1","actor":"agent"}"#)
        #expect(search.status == 200)
        let results = try #require(search.json["results"] as? [[String: Any]])
        #expect(results.compactMap { $0["id"] as? String } == ["p1", "p2"])
        let queryId = try #require(search.json["queryId"] as? String)
        let globex = try server.request("POST", "/v1/collections/emb/search", #"{"tenant":"globex","k":10,"vector":[1,0,0]}"#)
        #expect((globex.json["results"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["p1"])
        var raw = Data()
        for value: Float in [1, 0, 0] { withUnsafeBytes(of: value.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
        let binary = try server.request("POST", "/v1/collections/emb/search/binary?tenant=acme&k=1", data: raw,
                                        contentType: "application/octet-stream")
        #expect((binary.json["results"] as? [[String: Any]])?.first?["id"] as? String == "p1", "\(binary.body)")
        let batch = try server.request("POST", "/v1/collections/emb/search/batch",
                                       #"{"tenant":"acme","k":1,"vectors":[[1,0,0],[0,1,0]],"includePrecedents":false}"#)
        let answers = try #require(batch.json["responses"] as? [[String: Any]])
        #expect(answers.compactMap { ($0["results"] as? [[String: Any]])?.first?["id"] as? String } == ["p1", "p3"])
        _ = try server.request("POST", "/v1/collections/ndr/precedents", """
            {"tenant":"acme","precedents":[
              {"id":"n1","text":"customer not answering the phone","context":{"reason":"unreachable"}},
              {"id":"n2","text":"wrong address given","context":{"reason":"address"}}]}
            """)
        let text = try server.request("POST", "/v1/collections/ndr/search", #"{"tenant":"acme","k":1,"text":"customer not answering","explain":true}"#)
        let top = (text.json["results"] as? [[String: Any]])?.first
        #expect(top?["id"] as? String == "n1" && top?["explanation"] != nil, "\(text.body)")
        let context = try server.request("POST", "/v1/collections/ndr/search", #"{"tenant":"acme","k":1,"context":{"reason":"address"}}"#)
        #expect((context.json["results"] as? [[String: Any]])?.first?["id"] as? String == "n2")

        // Get, patch, delete — and another tenant's id is answered as unknown on each.
        #expect(try server.request("GET", "/v1/collections/emb/precedents/p2?tenant=acme").json["id"] as? String == "p2")
        let patched = try server.request("PATCH", "/v1/collections/emb/precedents/p2?tenant=acme",
                                         #"{"outcome":"delivered","wasSuccessful":true}"#)
        #expect(patched.status == 200 && patched.json["outcome"] as? String == "delivered", "\(patched.body)")
        for (method, body) in [("GET", nil), ("PATCH", #"{"outcome":"x"}"#), ("DELETE", nil)] as [(String, String?)] {
            let foreign = try server.request(method, "/v1/collections/emb/precedents/p2?tenant=globex", body)
            let unknown = try server.request(method, "/v1/collections/emb/precedents/nope?tenant=acme", body)
            #expect(foreign.status == 404 && foreign.errorCode == "precedent_not_found")
            #expect(foreign.body == unknown.body.replacingOccurrences(of: "nope", with: "p2"))
        }
        #expect(try server.request("DELETE", "/v1/collections/emb/precedents/p3?tenant=acme").status == 204)
        #expect(try server.request("GET", "/v1/collections/emb/precedents/p3?tenant=acme").status == 404)
        #expect(try server.request("GET", "/v1/collections/emb/precedents/p1?tenant=globex").json["tenant"] as? String == "globex")

        // Uses, outcome, stats; another tenant cannot use acme's query.
        let use = try server.request("POST", "/v1/matches/\(queryId)/uses", #"{"tenant":"acme","precedentId":"p2","type":"applied","eventId":"e1"}"#)
        #expect(use.status == 201 && use.json["rank"] as? Int == 2, "\(use.body)")
        #expect(try server.request("POST", "/v1/matches/\(queryId)/uses", #"{"tenant":"acme","precedentId":"p2","type":"applied","eventId":"e1"}"#).status == 200)
        let foreignUse = try server.request("POST", "/v1/matches/\(queryId)/uses", #"{"tenant":"globex","precedentId":"p1","type":"applied"}"#)
        #expect(foreignUse.status == 404 && foreignUse.errorCode == "query_not_found")
        #expect(try server.request("POST", "/v1/matches/\(queryId)/uses", #"{"tenant":"acme","precedentId":"p3","type":"cited"}"#).errorCode == "precedent_not_shown")
        #expect(try server.request("POST", "/v1/matches/\(queryId)/uses", #"{"tenant":"acme","precedentId":"p1","type":"liked"}"#).status == 422)
        let outcome = try server.request("POST", "/v1/decisions/d1/outcome", #"{"tenant":"acme","wasSuccessful":true,"outcome":"delivered"}"#)
        #expect(outcome.status == 200, "\(outcome.body)")
        let stats = try server.request("GET", "/v1/stats?tenant=acme&collection=emb")
        #expect(stats.json["used"] as? Int == 1 && stats.json["queries"] as? Int == 4, "\(stats.body)")  // search, binary, batch of 2
        #expect((stats.json["outcomeLift"] as? [String: Any])?["decisionsApplied"] as? Int == 1)
        let globexStats = try server.request("GET", "/v1/stats?tenant=globex&collection=emb")
        #expect(globexStats.json["queries"] as? Int == 1 && globexStats.json["used"] as? Int == 0)

        // Index: train a flat collection into IVF, then describe it.
        let train = try server.request("POST", "/v1/collections/emb/index/train", #"{"nlist":2}"#)
        #expect(train.status == 200 && train.json["nlist"] as? Int == 2, "\(train.body)")
        #expect(try server.request("GET", "/v1/collections/emb/index").json["kind"] as? String == "ivf")
        let ivfSearch = try server.request("POST", "/v1/collections/emb/search", #"{"tenant":"acme","k":1,"vector":[1,0,0],"exact":true}"#)
        #expect(ivfSearch.json["exact"] as? Bool == true)

        #expect(try server.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: server.socket))
    }

    /// Every kind of bad input gets its documented status and code, the server goes on serving,
    /// and the database does not change.
    @Test func badInputIsRefusedAndChangesNothing() throws {
        let server = try ServerProcess(arguments: ["--max-body", "4096"])
        _ = try server.request("POST", "/v1/collections", #"{"name":"emb","dim":2,"metric":"ip","embedder":"external"}"#)
        _ = try server.request("POST", "/v1/collections/emb/precedents", #"{"tenant":"a","precedents":[{"id":"p1","vector":[1,0]}]}"#)
        let before = try Self.rows(server)
        let bad: [(String, String, String?, Int, String)] = [
            ("POST", "/v1/collections/emb/search", #"{"tenant":"a","k":1,"vector":[1,0]"#, 400, "malformed_request"),
            ("POST", "/v1/collections/emb/search", #"{"tenant":"a","k":"ten","vector":[1,0]}"#, 400, "wrong_type"),
            ("POST", "/v1/collections/emb/search", #"{"k":1,"vector":[1,0]}"#, 400, "missing_tenant"),
            ("POST", "/v1/collections/emb/search", #"{"tenant":"a","k":100000,"vector":[1,0]}"#, 422, "invalid_k"),
            ("POST", "/v1/collections/emb/search", #"{"tenant":"a","k":0,"vector":[1,0]}"#, 422, "invalid_k"),
            ("POST", "/v1/collections/emb/search", #"{"tenant":"a","k":1,"vector":[1,0,0]}"#, 422, "dimension_mismatch"),
            ("POST", "/v1/collections/emb/search", #"{"tenant":"a","k":1,"vector":[1e39,0]}"#, 422, "invalid_vector"),
            ("POST", "/v1/collections/emb/search", #"{"tenant":"a","k":1,"vector":[NaN,0]}"#, 400, "malformed_request"),
            ("POST", "/v1/collections/emb/search", #"{"tenant":"a","k":1,"vector":[1,0],"colour":"red"}"#, 400, "unknown_field"),
            ("POST", "/v1/collections/emb/search", #"{"tenant":"a","k":1,"vector":[1,0],"filter":{"colour":1}}"#, 400, "unknown_field"),
            ("POST", "/v1/collections/nope/search", #"{"tenant":"a","k":1,"vector":[1,0]}"#, 404, "collection_not_found"),
            ("POST", "/v1/collections/emb/precedents", #"{"tenant":"a","precedents":[{"id":"p2","vector":[1,0]},{"id":"p3","vector":"x"}]}"#, 400, "invalid_precedents"),
            ("POST", "/v1/collections/emb/precedents", #"{"tenant":"a","precedents":[{"id":"p2","vector":[1,0]},{"id":"p1","vector":[1,0]}]}"#, 409, "duplicate_id"),
            ("POST", "/v1/collections/emb/precedents", #"{"tenant":"a","precedents":[{"id":"p2","vector":[1,0]},{"id":"p4","vector":[1,0,0]}]}"#, 422, "dimension_mismatch"),
            ("POST", "/v1/collections/emb/precedents", #"{"tenant":"a","precedents":[{"id":"p2","tenant":"b","vector":[1,0]}]}"#, 422, "invalid_precedents"),
            ("POST", "/v1/collections/emb/precedents", #"{"precedents":[{"id":"p2","vector":[1,0]}]}"#, 400, "missing_tenant"),
            ("PATCH", "/v1/collections/emb/precedents/p1?tenant=a", #"{"vector":[1,0,0]}"#, 422, "dimension_mismatch"),
            ("PATCH", "/v1/collections/emb/precedents/p1", #"{"outcome":"x"}"#, 400, "missing_tenant"),
            ("PATCH", "/v1/collections/emb/precedents/p1?tenant=a", #"{"id":"other"}"#, 400, "unknown_field"),
            ("POST", "/v1/collections", #"{"name":"x y","dim":2,"embedder":"external"}"#, 422, "invalid_value"),
            ("POST", "/v1/collections", #"{"name":"big","dim":100000000,"embedder":"external"}"#, 422, "invalid_value"),
            ("POST", "/v1/matches/nope/uses", #"{"tenant":"a","precedentId":"p1","type":"cited"}"#, 404, "query_not_found"),
            ("POST", "/v1/decisions/d1/outcome", #"{"tenant":"a"}"#, 400, "malformed_request"),
            ("GET", "/v1/stats?collection=emb", nil, 400, "missing_tenant"),
            // Found by schemathesis (ContractTests): options in a JSON search's query string were
            // ignored; an optional tenant named empty or with a control character was taken;
            // training's optional body was required.
            ("POST", "/v1/collections/emb/search?k=5", #"{"tenant":"a","k":1,"vector":[1,0]}"#, 400, "malformed_request"),
            ("GET", "/v1/collections/emb?tenant=", nil, 400, "missing_tenant"),
            ("GET", "/v1/collections/emb?tenant=a%01b", nil, 422, "invalid_value"),
            ("POST", "/v1/collections/emb/index/train", #"{"nlist":0,"sample":0}"#, 422, "invalid_value"),
            ("POST", "/v1/collections/emb/index/train", #"{"targetRecall":0}"#, 422, "invalid_value"),
            ("POST", "/v1/collections/emb/index/train", #"{"targetRecall":"high"}"#, 400, "wrong_type"),
            // Re-embedding is for hashed collections.
            ("POST", "/v1/collections/emb/reembed", nil, 422, "invalid_value"),
            ("POST", "/v1/collections/emb/reembed", #"{"stale":"yes"}"#, 400, "wrong_type"),
            ("POST", "/v1/collections/nope/reembed", "{}", 404, "collection_not_found"),
            ("POST", "/v1/collections/emb/search", String(repeating: " ", count: 5000) + "{}", 413, "body_too_large"),
        ]
        for (method, path, body, status, code) in bad {
            let reply = try server.request(method, path, body)
            #expect(reply.status == status && reply.errorCode == code, "\(method) \(path) \(body?.prefix(60) ?? ""): \(reply.status) \(reply.body)")
        }
        let untrainedBody = try server.request("POST", "/v1/collections/emb/index/train", nil)
        #expect(untrainedBody.status == 200, "\(untrainedBody.body)")
        // A missing tenant is worded for where the request should have named it.
        let message = { (reply: ServerProcess.Reply) in ((reply.json["error"] as? [String: Any])?["message"] as? String) ?? "" }
        let noQuery = try server.request("GET", "/v1/collections/emb/precedents/p1")
        #expect(message(noQuery) == #"the query parameter "tenant" is missing or empty"#, "\(noQuery.body)")
        let noField = try server.request("POST", "/v1/collections/emb/search", #"{"k":1,"vector":[1,0]}"#)
        #expect(message(noField) == #"the body's field "tenant" is missing or empty"#, "\(noField.body)")
        let emptyField = try server.request("POST", "/v1/collections/emb/search", #"{"tenant":"","k":1,"vector":[1,0]}"#)
        #expect(emptyField.errorCode == "missing_tenant" && message(emptyField) == "tenant is missing or empty", "\(emptyField.body)")
        // A binary vector of the wrong size.
        let odd = try server.request("POST", "/v1/collections/emb/search/binary?tenant=a&k=1", data: Data([1, 2, 3]),
                                     contentType: "application/octet-stream")
        #expect(odd.status == 422 && odd.errorCode == "invalid_vector")
        // A client that disconnects in the middle of its body.
        try Self.disconnectMidRequest(socket: server.socket)
        #expect(try server.request("GET", "/v1/health").status == 200)
        #expect(try Self.rows(server) == before)
        #expect(try server.stop() == 0)
    }

    /// Every route that takes a body refuses malformed JSON, a non-object, an unknown field and a
    /// body over the limit with its documented code; every tenant-scoped route refuses a missing
    /// tenant. Nothing changes in the database, and the server answers afterwards.
    @Test func everyBodyRouteRefusesTheSameBadInput() throws {
        let server = try ServerProcess(arguments: ["--max-body", "2048"])
        _ = try server.request("POST", "/v1/collections", #"{"name":"emb","dim":2,"metric":"ip","embedder":"external"}"#)
        _ = try server.request("POST", "/v1/collections/emb/precedents", #"{"tenant":"a","precedents":[{"id":"p1","vector":[1,0]}]}"#)
        let query = try #require(try server.request("POST", "/v1/collections/emb/search", #"{"tenant":"a","k":1,"vector":[1,0]}"#).json["queryId"] as? String)
        let tables = ["collection", "precedent", "match_use", "decision_outcome", "ivf_index"]
        let before = try tables.map { try Self.rows(server, $0) }
        let routes: [(String, String, tenantInBody: Bool)] = [
            ("POST", "/v1/collections", false),
            ("POST", "/v1/collections/emb/precedents", true),
            ("PATCH", "/v1/collections/emb/precedents/p1?tenant=a", false),
            ("POST", "/v1/collections/emb/search", true),
            ("POST", "/v1/collections/emb/search/batch", true),
            ("POST", "/v1/matches/\(query)/uses", true),
            ("POST", "/v1/decisions/d1/outcome", true),
            ("POST", "/v1/collections/emb/index/train", false),
            ("POST", "/v1/collections/emb/reembed", false),
        ]
        var cases = 0
        for (method, path, tenantInBody) in routes {
            for (body, status, code) in [
                (#"{"tenant": "a", "#, 400, "malformed_request"),
                ("[1, 2]", 400, "malformed_request"),
                (#"{"tenant": "a", "surprise": 1}"#, 400, "unknown_field"),
                ("{" + String(repeating: " ", count: 3000) + "}", 413, "body_too_large"),
            ] {
                let reply = try server.request(method, path, body)
                #expect(reply.status == status && reply.errorCode == code, "\(method) \(path) \(body.prefix(30)): \(reply.body)")
                cases += 1
            }
            if tenantInBody {
                let reply = try server.request(method, path, #"{"k": 1}"#)
                #expect(reply.status == 400, "\(method) \(path) without tenant: \(reply.body)")
                cases += 1
            }
        }
        for path in ["/v1/collections/emb/precedents/p1", "/v1/stats?collection=emb"] {
            #expect(try server.request("GET", path).errorCode == "missing_tenant")
            cases += 1
        }
        #expect(cases == 43)  // 9 routes x 4 bodies, 5 without a tenant, 2 GETs
        #expect(try server.request("GET", "/v1/health").status == 200)
        #expect(try tables.map { try Self.rows(server, $0) } == before)
        #expect(try server.stop() == 0)
    }

    /// Connects, sends headers promising 1,000 bytes and 10 of them, then closes.
    static func disconnectMidRequest(socket path: String) throws {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(connected == 0)
        let partial = "POST /v1/collections/emb/precedents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"tenant\":"
        _ = partial.withCString { send(fd, $0, strlen($0), 0) }
        close(fd)
    }

    @Test func socketFileIsOwnerOnlyAndStaleSocketsAreReplaced() throws {
        // A permissive umask must not make the socket reachable by others.
        let previous = umask(0)
        defer { umask(previous) }
        let server = try ServerProcess()
        var status = stat()
        #expect(lstat(server.socket, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o600)
        // A second server on the same live socket is refused.
        let second = try CasebookProcess.run(["serve", "--db", server.database.path, "--socket", server.socket])
        #expect(second.status != 0 && second.stderr.contains("another server is listening"))
        // SIGKILL leaves a stale socket file; the next server replaces it.
        kill(server.process.processIdentifier, SIGKILL)
        server.process.waitUntilExit()
        #expect(FileManager.default.fileExists(atPath: server.socket))
        let restarted = Process()
        restarted.executableURL = CasebookProcess.executable
        restarted.arguments = ["serve", "--db", server.database.path, "--socket", server.socket]
        let out = Pipe()
        restarted.standardOutput = out
        try restarted.run()
        #expect(try ServerProcess.readLine(out.fileHandleForReading, timeout: 20).contains("serving"))
        restarted.terminate()
        restarted.waitUntilExit()
        #expect(restarted.terminationStatus == 0)
        // A path that is not a socket is never replaced.
        let file = server.database.directory.appendingPathComponent("not-a-socket").path
        try "keep me".write(toFile: file, atomically: true, encoding: .utf8)
        let refused = try CasebookProcess.run(["serve", "--db", server.database.path, "--socket", file])
        #expect(refused.status != 0 && refused.stderr.contains("not a socket"))
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "keep me")
        // TCP only on loopback.
        let remote = try CasebookProcess.run(["serve", "--db", server.database.path, "--socket", server.socket, "--tcp", "10.1.2.3:8080"])
        #expect(remote.status != 0 && remote.stderr.contains("loopback"))
    }

    @Test func sigtermWritesTheMatchLogAndRemovesTheSocket() throws {
        let server = try ServerProcess()
        _ = try server.request("POST", "/v1/collections", #"{"name":"emb","dim":2,"metric":"ip","embedder":"external"}"#)
        _ = try server.request("POST", "/v1/collections/emb/precedents", #"{"tenant":"a","precedents":[{"id":"p1","vector":[1,0]}]}"#)
        // Searches whose log entries are still in memory when the signal comes.
        for _ in 0..<5 {
            #expect(try server.request("POST", "/v1/collections/emb/search", #"{"tenant":"a","k":1,"vector":[1,0]}"#).status == 200)
        }
        #expect(try server.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: server.socket))
        #expect(try Self.rows(server, "match_query") == 5)
    }

    @Test func tcpOnLoopback() throws {
        let port = 20_000 + Int(getpid() % 20_000)
        let server = try ServerProcess(arguments: ["--tcp", "127.0.0.1:\(port)"])
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-s", "--retry", "5", "--retry-connrefused", "--retry-delay", "1", "http://127.0.0.1:\(port)/v1/health"]
        let out = Pipe()
        curl.standardOutput = out
        try curl.run()
        let body = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        curl.waitUntilExit()
        #expect(body.contains("\"ok\""))
        #expect(try server.stop() == 0)
    }
}
