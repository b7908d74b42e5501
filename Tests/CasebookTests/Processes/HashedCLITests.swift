import Foundation
import Testing

/// hashed-v1 through the `casebook` executable: init without dims, add without vectors, text and
/// context searches with explanations, `embed`, `demo`, and refusals that write nothing.
@Suite struct HashedCLITests {
    let database = TemporaryDatabase()
    var db: [String] { ["--db", database.path] }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func count() throws -> Int {
        let info = try Self.json(try CasebookProcess.run(["info", "--json"] + db).stdout)
        return (info["collections"] as! [[String: Any]])[0]["count"] as! Int
    }

    @Test func initAddSearchExplain() throws {
        let created = try CasebookProcess.run(["init", "--collection", "p"] + db)
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("hashed-v1, dim 1024"))
        let sample = HashedCollectionTests.repository.appendingPathComponent("data/sample-precedents.jsonl").path
        let lines = try String(contentsOfFile: sample, encoding: .utf8).split(separator: "\n").prefix(300).joined(separator: "\n")
        let added = try CasebookProcess.run(["add", "--collection", "p", "-"] + db, stdin: lines)
        #expect(added.status == 0, "\(added.stderr)")
        #expect(try count() == 300)

        let search = try CasebookProcess.run([
            "search", "--collection", "p", "--tenant", "acme-retail", "--k", "3", "--text", "customer not available",
            "--context", #"{"reason": "customer_unreachable", "paymentMode": "cod"}"#, "--explain", "--json",
        ] + db)
        #expect(search.status == 0, "\(search.stderr)")
        let results = try Self.json(search.stdout)["results"] as! [[String: Any]]
        #expect(results.count == 3)
        for result in results {
            let explanation = try #require(result["explanation"] as? [String: Any])
            let features = explanation["features"] as! [[String: Any]]
            #expect(features.contains { $0["namespace"] as? String == "ctx" && $0["token"] as? String == "reason=customer_unreachable" })
            #expect((result["precedent"] as! [String: Any])["tenant"] as! String == "acme-retail")
        }
        let table = try CasebookProcess.run([
            "search", "--collection", "p", "--tenant", "acme-retail", "--k", "2", "--text", "address incomplete", "--explain",
        ] + db)
        #expect(table.status == 0 && table.stdout.contains("similarity by part:") && table.stdout.contains("shared:"))
    }

    @Test func badInputIsRefusedAndNothingIsWritten() throws {
        #expect(try CasebookProcess.run(["init", "--collection", "p", "--dims", "256"] + db).status == 0)
        let good = #"{"id":"ok","tenant":"t","text":"fine"}"#
        let deep = #"{"id":"d","tenant":"t","context":{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":1}}}}}}}}}}"#
        let huge = #"{"id":"h","tenant":"t","context":{"blob":""# + String(repeating: "x", count: 1 << 20) + #""}}"#
        let cases: [(String, String)] = [
            (#"{"id":"c","tenant":"t","context":"reason=x"}"#, "line 2: field \"context\" must be an object"),
            (#"{"id":"t","tenant":"t","tags":["a",3]}"#, "line 2: field \"tags\" must hold strings"),
            (#"{"id":"v","tenant":"t","text":"x","vector":[1,2]}"#, "leave out \"vector\""),
            (deep, "context nests deeper than 8 levels"),
            (huge, "context is larger than 1048576 bytes"),
            (#"{"id":"e","tenant":"t","text":"  ...  "}"#, "nothing to embed"),
        ]
        for (line, message) in cases {
            let outcome = try CasebookProcess.run(["add", "--collection", "p", "--atomic", "-"] + db, stdin: good + "\n" + line + "\n")
            #expect(outcome.status != 0)
            #expect(outcome.stderr.contains(message), "\(outcome.stderr.prefix(300))")
            #expect(try count() == 0)
        }
        let badContext = try CasebookProcess.run(["search", "--collection", "p", "--tenant", "t", "--context", "[1]"] + db)
        #expect(badContext.status != 0 && badContext.stderr.contains("--context must be a JSON object"))
        let both = try CasebookProcess.run(["search", "--collection", "p", "--tenant", "t", "--text", "x", "--vector", "[1]"] + db)
        #expect(both.status != 0)
        let vectorExplain = try CasebookProcess.run(["search", "--collection", "p", "--tenant", "t", "--vector", "[1]", "--explain"] + db)
        #expect(vectorExplain.status != 0 && vectorExplain.stderr.contains("--explain needs"))
    }

    @Test func embedPrintsCheckableFeatures() throws {
        let run = try CasebookProcess.run(["embed", "--dims", "64", "-"], stdin: #"{"text":"Not available","context":{"cod":true}}"# + "\n\n" + #"{"category":"x"}"#)
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map { try! Self.json(String($0)) }
        #expect(Set(lines.map { $0["doc"] as! Int }) == [1, 3])
        #expect(lines.contains { $0["namespace"] as? String == "word" && $0["token"] as? String == "not available" })
        #expect(lines.contains { $0["namespace"] as? String == "ctx" && $0["token"] as? String == "cod=true" })
        #expect(lines.allSatisfy { (0..<64).contains($0["bucket"] as! Int) && [1, -1].contains($0["sign"] as! Int) })
        // The vector is the signed sum of the features.
        let vectors = try CasebookProcess.run(["embed", "--dims", "64", "--vectors", "-"], stdin: #"{"text":"Not available","context":{"cod":true}}"#)
        let vector = (try Self.json(vectors.stdout.trimmingCharacters(in: .newlines))["vector"] as! [Double])
        var rebuilt = [Double](repeating: 0, count: 64)
        for line in lines where line["doc"] as! Int == 1 {
            rebuilt[line["bucket"] as! Int] += Double(line["sign"] as! Int) * (line["weight"] as! Double)
        }
        #expect(zip(vector, rebuilt).allSatisfy { abs($0 - $1) < 1e-6 })
        let bad = try CasebookProcess.run(["embed", "-"], stdin: "{\"text\":\"x\"}\n[1,2]\n")
        #expect(bad.status != 0 && bad.stderr.contains("line 2"))
    }

    @Test func demoRunsOnTheSampleData() throws {
        let root = HashedCollectionTests.repository.path
        let path = database.directory.appendingPathComponent("demo.sqlite").path
        let run = try CasebookProcess.run(["demo", "--db", path, "--data", root + "/data/sample-precedents.jsonl"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("Loaded 4000 precedents of 4 tenants"))
        #expect(run.stdout.components(separatedBy: "shared:").count - 1 == 9)
        let again = try CasebookProcess.run(["demo", "--db", path, "--data", root + "/data/sample-precedents.jsonl"])
        #expect(again.status != 0 && again.stderr.contains("--replace"))
        #expect(run.stdout.components(separatedBy: "recommended: ").count - 1 == 3, "a suggestion per case")
    }

    /// From another directory and without --data, the demo finds the sample beside the binary;
    /// a demo that fails (no such file, a bad line) leaves no database behind.
    @Test func demoWorksFromAnyDirectoryAndLeavesNothingWhenItFails() throws {
        func demo(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
            let process = Process()
            process.executableURL = CasebookProcess.executable
            process.arguments = ["demo"] + arguments
            process.currentDirectoryURL = database.directory
            let errors = Pipe()
            process.standardOutput = FileHandle.nullDevice
            process.standardError = errors
            try process.run()
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text)
        }
        let found = try demo(["--db", "here.sqlite"])
        #expect(found.status == 0, "\(found.stderr)")
        #expect(FileManager.default.fileExists(atPath: database.directory.appendingPathComponent("here.sqlite").path))

        let missing = try demo(["--db", "missing.sqlite", "--data", "nowhere.jsonl"])
        #expect(missing.status != 0 && missing.stderr.contains("nowhere.jsonl"))
        let bad = database.directory.appendingPathComponent("bad.jsonl")
        try #"{"tenant":"t","id":"a","vector":[1]}"#.write(to: bad, atomically: true, encoding: .utf8)
        let refused = try demo(["--db", "refused.sqlite", "--data", bad.path])
        #expect(refused.status != 0 && refused.stderr.contains("vector"), "\(refused.stderr)")
        let left = try FileManager.default.contentsOfDirectory(atPath: database.directory.path)
        #expect(!left.contains { $0.hasPrefix("missing.sqlite") || $0.hasPrefix("refused.sqlite") }, "\(left)")
    }
}
