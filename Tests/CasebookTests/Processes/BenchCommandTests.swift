import Foundation
import Testing

@testable import Casebook
@testable import CasebookBench

/// `casebook bench generate | ann | tenants | socket` as a user runs them: the files they write and the
/// JSON they print, and clear errors for inputs that do not fit together.
@Suite struct BenchCommandTests {
    let directory = TemporaryDatabase()
    func path(_ name: String) -> String { directory.directory.appendingPathComponent(name).path }

    @Test func generateThenAnnReportsPerfectRecallInTheDocumentedShape() throws {
        let generated = try CasebookProcess.run([
            "bench", "generate", "--n", "3000", "--dim", "12", "--clusters", "8", "--queries", "40", "--k", "20",
            "--out", path("ds"),
        ])
        #expect(generated.status == 0, "\(generated.stderr)")
        let base = try VectorFile.readFloats(path("ds/base.fvecs"))
        let truth = try VectorFile.readInts(path("ds/truth.ivecs"))
        #expect(base.rowCount == 3000 && base.dimension == 12 && truth.rowCount == 40 && truth.dimension == 20)

        let ann = try CasebookProcess.run([
            "bench", "ann", "--base", path("ds/base.fvecs"), "--queries", path("ds/queries.fvecs"),
            "--truth", path("ds/truth.ivecs"), "--k", "10", "--threads", "2", "--json",
        ])
        #expect(ann.status == 0, "\(ann.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(ann.stdout.utf8)) as! [String: Any]
        for key in ["index", "n", "dim", "k", "metric", "ingestSeconds", "openSeconds", "trainSeconds", "peakRssMB", "runs"] {
            #expect(report[key] != nil, "missing \(key)")
        }
        #expect(report["n"] as? Int == 3000 && report["index"] as? String == "flat")
        let run = (report["runs"] as! [[String: Any]])[0]
        #expect(run["nprobe"] is NSNull, "nprobe is null for flat")
        #expect(run["recall"] as? Double == 1)
        let single = run["single"] as! [String: Any], batch = run["batch"] as! [String: Any]
        #expect(Set(single.keys) == ["qps", "p50Ms", "p99Ms"] && Set(batch.keys) == ["qps"])

        // Without --truth, exact truth is computed first; recall is still measured against it.
        let noTruth = try CasebookProcess.run([
            "bench", "ann", "--base", path("ds/base.fvecs"), "--queries", path("ds/queries.fvecs"), "--json",
        ])
        #expect(noTruth.status == 0, "\(noTruth.stderr)")
        #expect(noTruth.stdout.contains("\"truthSeconds\""))

        // IVF: one run per nprobe; recall never falls as nprobe grows and is exact with all lists.
        let ivf = try CasebookProcess.run([
            "bench", "ann", "--base", path("ds/base.fvecs"), "--queries", path("ds/queries.fvecs"),
            "--truth", path("ds/truth.ivecs"), "--k", "10", "--index", "ivf", "--nlist", "16", "--nprobe", "1,4,16", "--json",
        ])
        #expect(ivf.status == 0, "\(ivf.stderr)")
        let ivfReport = try JSONSerialization.jsonObject(with: Data(ivf.stdout.utf8)) as! [String: Any]
        #expect(ivfReport["index"] as? String == "ivf" && ivfReport["nlist"] as? Int == 16)
        #expect(ivfReport["addSeconds"] is Double && (ivfReport["trainSeconds"] as? Double ?? 0) > 0)
        let ivfRuns = ivfReport["runs"] as! [[String: Any]]
        #expect(ivfRuns.map { $0["nprobe"] as? Int } == [1, 4, 16])
        let recalls = ivfRuns.map { $0["recall"] as! Double }
        #expect(recalls == recalls.sorted() && recalls.last == 1 && recalls.first! < 1, "\(recalls)")
    }

    /// `bench socket` starts its own server; both ways of alternating the modes report every mode
    /// and client count, with the library's own search time next to each latency.
    @Test(arguments: [false, true]) func socketReportsEveryModeAndClientCount(interleave: Bool) throws {
        let result = try CasebookProcess.run(
            ["bench", "socket", "--n", "60", "--dim", "8", "--queries", "6", "--rounds", "2", "--clients", "1,2", "--json"]
                + (interleave ? ["--interleave"] : []))
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        let runs = report["runs"] as! [[String: Any]]
        #expect(Set(runs.map { "\($0["mode"]!) \($0["clients"]!)" }) == [
            "in-process 1", "socket-json 1", "socket-binary 1", "in-process 2", "socket-json 2", "socket-binary 2",
        ])
        for run in runs {
            let latency = run["p50Ms"] as! Double, search = run["searchP50Ms"] as! Double
            #expect(search > 0 && search <= latency, "\(run)")
        }
        for key in ["addedP50MsBinary", "addedP50MsJSON", "transportP50MsBinary", "transportP50MsJSON"] {
            #expect(Set((report[key] as! [String: Double]).keys) == ["1", "2"], "\(key)")
        }
        #expect((report["transportP50MsBinary"] as! [String: Double]).values.allSatisfy { $0 > 0 })
    }

    @Test func tenantsWorkloadRecallIsExactWithAndWithoutFilter() throws {
        let generated = try CasebookProcess.run([
            "bench", "generate", "--n", "4000", "--dim", "8", "--queries", "60", "--k", "10", "--tenants", "6",
            "--categories", "10", "--out", path("t"),
        ])
        #expect(generated.status == 0, "\(generated.stderr)")
        let result = try CasebookProcess.run(["bench", "tenants", "--data", path("t"), "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        let runs = report["runs"] as! [[String: Any]]
        #expect(runs.map { $0["filter"] as! String } == ["none", "category"])
        #expect(runs.allSatisfy { $0["recall"] as? Double == 1 })
        let selectivity = runs[1]["selectivity"] as! Double
        #expect(selectivity > 0.05 && selectivity < 0.15, "one category of 10")
        #expect(report["tenants"] as? Int == 6)

        // IVF with every list probed is exact; with one list the unfiltered recall drops.
        let all = try CasebookProcess.run(["bench", "tenants", "--data", path("t"), "--index", "ivf", "--nlist", "16", "--nprobe", "16", "--flat-threshold", "100", "--json"])
        #expect(all.status == 0, "\(all.stderr)")
        let allRuns = (try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as! [String: Any])["runs"] as! [[String: Any]]
        #expect(allRuns.allSatisfy { $0["recall"] as? Double == 1 && $0["exactShare"] as? Double == 1 })
        let one = try CasebookProcess.run(["bench", "tenants", "--data", path("t"), "--index", "ivf", "--nlist", "16", "--nprobe", "1", "--flat-threshold", "100", "--json"])
        #expect(one.status == 0, "\(one.stderr)")
        let oneRuns = (try JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as! [String: Any])["runs"] as! [[String: Any]]
        #expect((oneRuns[0]["recall"] as! Double) < 1 && (oneRuns[0]["exactShare"] as! Double) < 1)
    }

    @Test func mismatchedFilesAndUnavailableIndexAreClearErrors() throws {
        try VectorFile.write(FloatMatrix(rowCount: 2, dimension: 3, values: [1, 0, 0, 0, 1, 0]), to: path("b.fvecs"))
        try VectorFile.write(FloatMatrix(rowCount: 1, dimension: 4, values: [1, 0, 0, 0]), to: path("q.fvecs"))
        try VectorFile.write(Int32Matrix(rowCount: 1, dimension: 1, values: [0]), to: path("t.ivecs"))
        let dims = try CasebookProcess.run(["bench", "ann", "--base", path("b.fvecs"), "--queries", path("q.fvecs")])
        #expect(dims.status != 0 && dims.stderr.contains("has dimension 4"), "\(dims.stderr)")
        try VectorFile.write(FloatMatrix(rowCount: 1, dimension: 3, values: [1, 0, 0]), to: path("q3.fvecs"))
        let shortTruth = try CasebookProcess.run([
            "bench", "ann", "--base", path("b.fvecs"), "--queries", path("q3.fvecs"), "--truth", path("t.ivecs"), "--k", "2",
        ])
        #expect(shortTruth.status != 0 && shortTruth.stderr.contains("fewer than --k 2"), "\(shortTruth.stderr)")
        let probes = try CasebookProcess.run(["bench", "ann", "--base", path("b.fvecs"), "--queries", path("q3.fvecs"), "--nprobe", "4"])
        #expect(probes.status != 0 && probes.stderr.contains("--nprobe and --pca are for --index ivf"), "\(probes.stderr)")
        let tooFew = try CasebookProcess.run(["bench", "ann", "--base", path("b.fvecs"), "--queries", path("q3.fvecs"), "--index", "ivf", "--nlist", "8"])
        #expect(tooFew.status != 0 && tooFew.stderr.contains("needs at least 8"), "\(tooFew.stderr)")
        let truncated = path("cut.fvecs")
        try Data(try Data(contentsOf: URL(fileURLWithPath: path("b.fvecs"))).dropLast(3)).write(to: URL(fileURLWithPath: truncated))
        let cut = try CasebookProcess.run(["bench", "ann", "--base", truncated, "--queries", path("q3.fvecs")])
        #expect(cut.status != 0 && cut.stderr.contains("cut.fvecs: truncated"), "\(cut.stderr)")
    }
}
