import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// openapi.yaml is the server's exact contract: schemathesis (from PyPI, pinned in
/// scripts/python-test-requirements.txt) generates requests from it against a real `casebook
/// serve --tcp` and checks every answer. Every check (`--checks all`) and every phase (examples,
/// coverage, fuzzing, stateful); what Tests/python/schemathesis.toml loosens is named there with
/// its reason. A fixed seed keeps CI's run reproducible; README's command runs it with a fresh one.
@Suite struct ContractTests {
    @Test func schemathesisFindsNoFailure() throws {
        let database = TemporaryDatabase()
        // A collection the stateful phase and the fixed-name cases reach besides the ones it makes.
        let initRun = try CasebookProcess.run(["init", "--db", database.path, "--collection", "precedents", "--dims", "64"])
        #expect(initRun.status == 0, "\(initRun.stderr)")
        let port = 40_000 + Int(getpid() % 10_000)
        let server = try ServerProcess(arguments: ["--tcp", "127.0.0.1:\(port)"], database: database)
        // Precedents the configuration's dictionaries name (tenant acme, ids p1-p3).
        let seeded = try server.request("POST", "/v1/collections/precedents/precedents", #"""
            {"tenant":"acme","precedents":[{"id":"p1","text":"customer not home","action":"call_first","wasSuccessful":true},
            {"id":"p2","text":"address incomplete","action":"rto","wasSuccessful":false},{"id":"p3","text":"customer refused"}]}
            """#)
        #expect(seeded.status == 201, "\(seeded.body)")
        let tools = URL(fileURLWithPath: TestPython.executable).deletingLastPathComponent()
        let outcome = try TestPython.runTool(
            tools.appendingPathComponent("schemathesis").path,
            ["--config-file", Repository.path("Tests/python/schemathesis.toml").path, "run",
             Repository.path("openapi.yaml").path, "--url", "http://127.0.0.1:\(port)",
             "--checks", "all", "--max-examples", "25", "--seed", "20261205", "--workers", "1"],
            timeout: 900)
        // The summary and each failure's reproduction are in schemathesis's output.
        #expect(outcome.status == 0, "\(outcome.stdout.suffix(12_000))\n\(outcome.stderr.suffix(3_000))")
        let operations = try OpenAPITests.documentedRoutes().count
        #expect(outcome.stdout.contains("Tested: \(operations)"), "every operation was tested: \(outcome.stdout.suffix(2_000))")
        #expect(try server.stop() == 0)
    }
}
