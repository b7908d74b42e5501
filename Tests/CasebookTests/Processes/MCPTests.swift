import Foundation
import Testing

@testable import Casebook

/// Casebook's MCP tools driven by the official Python MCP SDK (`mcp` from PyPI, pinned in
/// scripts/python-test-requirements.txt), as an agent's client would: over stdio (`casebook mcp`)
/// and over streamable HTTP (`casebook serve --mcp`, on the Unix socket). Tests/python/
/// mcp_client_check.py initializes, lists the tools and their schemas, calls every tool, tries to
/// reach the other tenant (an argument naming it; its queryId; a session header swapped), sends
/// malformed arguments, goes away in the middle of calls, and checks the server answers after.
@Suite struct MCPTests {
    /// acme: twelve "customer not answering" decisions, call_first mostly working, rto failing;
    /// globex: six with GLOBEXSECRET in their text. Returns one of globex's logged query ids.
    static func fill(_ database: TemporaryDatabase) throws -> String {
        let casebook = try Casebook(path: database.path)
        let collection = try casebook.createCollection(
            CollectionSpec(name: "precedents", dimension: 512, embedder: .hashedV1()))
        let acme = (0..<12).map { i -> Precedent in
            let call = i % 3 != 0
            return Precedent(
                id: PrecedentID("acme-\(i)"), tenant: "acme", category: "ndr", context: ["reason": "unreachable"],
                text: "customer not answering the phone, attempt \(i % 2 + 1)", action: call ? "call_first" : "rto",
                outcome: call ? "delivered" : "returned", wasSuccessful: call ? i % 4 != 1 : false)
        }
        let globex = (0..<6).map { i in
            Precedent(
                id: PrecedentID("globex-\(i)"), tenant: "globex", category: "ndr",
                text: "customer not answering the phone GLOBEXSECRET \(i)", action: "globex_only", wasSuccessful: true)
        }
        try collection.add(acme + globex)
        let foreign = try collection.search(SearchRequest(tenant: "globex", text: "customer not answering"))
        try casebook.flushMatchLog()
        return foreign.queryId
    }

    static func expectPassed(_ outcome: CasebookProcess.Outcome) {
        let last = outcome.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(outcome.status == 0 && last.hasPrefix("ok "), "\(outcome.stdout)\n\(outcome.stderr.suffix(3000))")
    }

    @Test(arguments: ["fixed", "any"]) func stdioWithThePythonSDK(collection: String) throws {
        let database = TemporaryDatabase()
        let foreign = try Self.fill(database)
        Self.expectPassed(try TestPython.run(
            "mcp_client_check.py", ["stdio", CasebookProcess.executable.path, database.path, foreign, collection]))
    }

    @Test(arguments: [(StoreKind.sqlite, "any"), (.sqlite, "fixed"), (.postgres, "fixed")])
    func streamableHTTPWithThePythonSDK(store: StoreKind, collection: String) throws {
        let database = TemporaryDatabase(store)
        let foreign = try Self.fill(database)
        let server = try ServerProcess(arguments: ["--mcp"], database: database)
        Self.expectPassed(try TestPython.run("mcp_client_check.py", ["http", server.socket, foreign, collection]))
        // The JSON API is unaffected, and still serves the other tenant its own rows only.
        let health = try server.request("GET", "/v1/health")
        #expect(health.status == 200)
        let search = try server.request(
            "POST", "/v1/collections/precedents/search", #"{"tenant":"globex","text":"customer","k":50}"#)
        #expect(search.status == 200 && !search.body.contains("acme-"), "\(search.body.prefix(300))")
    }

    @Test func withoutTheFlagThereIsNoMCPRoute() throws {
        let server = try ServerProcess()
        let reply = try server.request("POST", "/mcp", #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#)
        #expect(reply.status == 404)
    }
}
