import ArgumentParser
import Casebook
import CommandLineSupport
import Foundation

/// Time from `Casebook(path:)` to the first answered search, for a large database.
struct BenchOpen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open", abstract: "Build a database of n vectors, then time opening it until searchable.")

    @Option var n = 1_000_000
    @Option var dim = 128
    @Option(help: "Tenants the vectors are spread over.") var tenants = 10
    @Option var repetitions = 3
    @Option(help: "Keep the database here instead of a temporary file; reused as is if it exists.") var db: String?
    @Flag var json = false

    struct Report: Encodable {
        var n: Int, dim: Int, tenants: Int
        var buildSeconds: Double, fileMB: Double
        var openSeconds: [Double], openMedianSeconds: Double
        var peakRssMB: Double?
    }

    func run() throws {
        let path = db ?? BenchData.temporaryPath("open")
        defer { if db == nil { BenchData.removeDatabase(path) } }
        let reuse = db != nil && FileManager.default.fileExists(atPath: path)
        let buildSeconds = reuse ? 0 : try BenchData.seconds {
            let collection = try Casebook(path: path).createCollection(
                CollectionSpec(name: "bench", dimension: dim, metric: .innerProduct))
            let chunk = 50_000
            for start in stride(from: 0, to: n, by: chunk) {
                let count = min(chunk, n - start)
                var batch = BenchData.precedents(
                    count: count, dimension: dim, tenant: "t0", seed: UInt64(start + 1))
                for i in batch.indices {
                    batch[i].id = PrecedentID("p\(start + i)")
                    batch[i].tenant = TenantID("t\((start + i) % tenants)")
                }
                try collection.add(batch)
                FileHandle.standardError.write(Data("\rbench: built \(start + count) / \(n)".utf8))
            }
            FileHandle.standardError.write(Data("\n".utf8))
        }
        let query = BenchRandom(seed: 9).vectorOnce(dim)
        var opens: [Double] = []
        for _ in 0..<repetitions {
            opens.append(try BenchData.seconds {
                let collection = try Casebook(path: path).collection("bench")
                _ = try collection.search(SearchRequest(tenant: "t0", k: 10, vector: query))
            })
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let report = Report(
            n: n, dim: dim, tenants: tenants, buildSeconds: buildSeconds, fileMB: Double(size) / 1e6,
            openSeconds: opens, openMedianSeconds: BenchData.median(opens),
            peakRssMB: BenchmarkSupport.peakResidentMB())
        if json {
            try JSONOutput.print(report)
        } else {
            print(String(format: "built %d x %d over %d tenants in %.1f s (%.0f MB file)", n, dim, tenants, buildSeconds, report.fileMB))
            print("open until first search: " + opens.map { String(format: "%.2f s", $0) }.joined(separator: ", ")
                  + String(format: "; median %.2f s", report.openMedianSeconds))
        }
    }
}

extension BenchRandom {
    func vectorOnce(_ dimension: Int) -> [Float] {
        var copy = self
        return copy.vector(dimension)
    }
}
