import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// clients/python (`casebook-client`) against real `casebook serve` processes: its own tests
/// (pytest; every route, Unix socket and TCP, sync and async, tenant isolation, each documented
/// error, retries and timeouts), and, as a new user would, `pip install ./clients/python` into a
/// fresh virtualenv followed by README's example.
@Suite struct ClientPackageTests {
    static var port: Int { 50_000 + Int(getpid() % 10_000) }

    @Test func clientTestsPassAgainstLiveServers() throws {
        let server = try ServerProcess(arguments: ["--tcp", "127.0.0.1:\(Self.port)"])
        // Shard 0 of 2 with a small body limit: the 421 and 413 answers.
        let shard = try ServerProcess(arguments: ["--shard", "0/2", "--max-body", "65536"], name: "shard")
        let outcome = try TestPython.runTool(
            TestPython.executable,
            ["-m", "pytest", "-q", "-p", "no:cacheprovider", Repository.path("clients/python/tests").path],
            environment: [
                "CASEBOOK_SOCKET": server.socket, "CASEBOOK_URL": "http://127.0.0.1:\(Self.port)",
                "CASEBOOK_SHARD_SOCKET": shard.socket, "PYTHONPATH": Repository.path("clients/python/src").path,
            ],
            timeout: 600)
        let summary = outcome.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(outcome.status == 0 && summary.contains(" passed") && !summary.contains("failed")
                && !summary.contains("skipped"), "\(outcome.stdout.suffix(8_000))\n\(outcome.stderr.suffix(2_000))")
        let words = summary.split(separator: " ").map(String.init)
        let passed = words.firstIndex { $0.hasPrefix("passed") }.flatMap { $0 > 0 ? Int(words[$0 - 1]) : nil } ?? 0
        #expect(passed >= 18, "\(summary)")
        #expect(try server.stop() == 0)
        #expect(try shard.stop() == 0)
    }

    /// A server whose PostgreSQL is stopped: the client raises `StorageError` (503
    /// storage_unavailable) for a write and does not resend it; searches go on from memory.
    @Test func storageErrorsReachTheClient() throws {
        let cluster = try PrivatePostgres()
        let database = try MultiNodeTests.database(on: cluster)
        let server = try ServerProcess(database: database)
        let vector = "[1\(String(repeating: ",0", count: MultiNodeTests.dimension - 1))]"
        let seeded = try server.request("POST", "/v1/collections/c/precedents",
                                        #"{"tenant":"acme","precedents":[{"id":"seed","vector":\#(vector)}]}"#)
        #expect(seeded.status == 201, "\(seeded.body)")
        try MultiNodeTests.shell(cluster.stop)
        let outcome = try TestPython.runTool(
            TestPython.executable,
            ["-m", "pytest", "-q", "-p", "no:cacheprovider", Repository.path("clients/python/tests/storage_down_check.py").path],
            environment: [
                "CASEBOOK_DOWN_SOCKET": server.socket, "CASEBOOK_DOWN_DIMENSION": "\(MultiNodeTests.dimension)",
                "PYTHONPATH": Repository.path("clients/python/src").path,
            ])
        let summary = outcome.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(outcome.status == 0 && summary.contains("2 passed") && !summary.contains("skipped"),
                "\(outcome.stdout.suffix(6_000))\n\(outcome.stderr.suffix(2_000))")
        #expect(try server.stop() == 0)
    }

    /// The python block after `<!-- client-example -->` in README.md.
    static func readmeExample() throws -> String {
        let readme = try String(contentsOf: Repository.path("README.md"), encoding: .utf8)
        guard let marker = readme.range(of: "<!-- client-example -->\n```python\n"),
              let end = readme.range(of: "\n```", range: marker.upperBound..<readme.endIndex)
        else { throw ServerProcessError(description: "README has no client example") }
        return String(readme[marker.upperBound..<end.lowerBound])
    }

    @Test func pipInstallThenTheReadmeExample() throws {
        let server = try ServerProcess()
        let directory = server.database.directory
        let venv = directory.appendingPathComponent("venv").path
        let made = try TestPython.runTool("/usr/bin/python3", ["-m", "venv", venv])
        #expect(made.status == 0, "\(made.stderr)")
        // From a copy: building the package writes build/ and egg-info beside its sources.
        let package = directory.appendingPathComponent("casebook-client")
        try FileManager.default.copyItem(at: Repository.path("clients/python"), to: package)
        let installed = try TestPython.runTool(
            venv + "/bin/pip", ["install", "--quiet", "--disable-pip-version-check", package.path], timeout: 600)
        #expect(installed.status == 0, "\(installed.stdout)\n\(installed.stderr.suffix(3_000))")
        let script = directory.appendingPathComponent("example.py")
        try Self.readmeExample().write(to: script, atomically: true, encoding: .utf8)
        let run = try TestPython.runTool(venv + "/bin/python", [script.path], environment: ["CASEBOOK_SOCKET": server.socket])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("1 ord-") == true, "\(run.stdout)")
        #expect(lines.contains("recommended: call_first"), "\(run.stdout)")
        #expect(lines.last == "404 precedent_not_found", "\(run.stdout)")
        #expect(try server.stop() == 0)
    }
}
