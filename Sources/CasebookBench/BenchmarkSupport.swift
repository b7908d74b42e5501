import Casebook
import Foundation

/// Measurements that need the index's internals (reached through the library's `package`
/// declarations), for `casebook bench` only.
extension PrecedentCollection {
    /// Seconds to read every float of a tenant's vector block once, per repetition: the
    /// streaming-read floor that a single-query scan of the same buffer is compared against.
    /// Returns the bytes read too.
    /// The checksum is returned so the optimiser cannot drop the reads.
    public func streamReadSeconds(tenant: TenantID, repetitions: Int)
        -> (bytes: Int, seconds: [Double], checksum: Float)
    {
        var sink: Float = 0
        let measured = withTenantVectors(tenant) { buffer in
            let seconds = (0..<repetitions).map { _ in
                let start = DispatchTime.now().uptimeNanoseconds
                sink += ScanKernel.streamRead(buffer)
                return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            }
            return (buffer.count * MemoryLayout<Float>.size, seconds)
        }
        guard let measured else { return (0, [], 0) }
        return (measured.0, measured.1, sink)
    }
}

public enum BenchmarkSupport {
    /// A bare `cblas_sgemm` computing (m × d)·(n × d)ᵀ into an m × n row-major buffer: the peer
    /// that batched search is compared with. Buffers are allocated once, so rounds can be
    /// interleaved with the searches they are compared against.
    public final class SgemmProbe {
        let m: Int, n: Int, d: Int
        private var a: [Float]
        private var b: [Float]
        private var c: [Float]

        public init(m: Int, n: Int, d: Int) {
            self.m = m
            self.n = n
            self.d = d
            // Values do not matter to sgemm's speed; a cheap pattern avoids a random-number
            // syscall per element.
            a = (0..<(m * d)).map { Float($0 % 17) * 0.01 - 0.08 }
            b = (0..<(n * d)).map { Float($0 % 13) * 0.01 - 0.06 }
            c = [Float](repeating: 0, count: m * n)
        }

        /// Seconds for one product with OpenBLAS set to `threads` threads (reset to 1 after).
        public func seconds(threads: Int) -> Double {
            GemmKernel.setThreads(threads)
            defer { GemmKernel.setThreads(1) }
            let (m, n, d) = (m, n, d)
            return a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        let start = DispatchTime.now().uptimeNanoseconds
                        GemmKernel.similarities(
                            queries: a.baseAddress!, queryCount: m, rows: b.baseAddress!, rowCount: n,
                            dimension: d, alpha: 1, into: c.baseAddress!)
                        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    }
                }
            }
        }
    }

    /// Peak resident set size of this process in MiB (Linux `VmHWM`), nil elsewhere.
    public static func peakResidentMB() -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kilobytes = line.split(separator: " ").compactMap { Double($0) }.first
            return kilobytes.map { $0 / 1024 }
        }
        return nil
    }
}


/// What `casebook bench kmeans` reports.
public struct KMeansReport: Sendable, Encodable {
    public var system = "casebook"
    public var n: Int
    public var dim: Int
    public var nlist: Int
    public var iterations: Int
    public var trainedRows: Int
    public var trainSeconds: Double
    public var seedingSeconds: Double
    /// Mean squared distance to the nearest centroid at each iteration's assignment.
    public var objective: [Double]
    /// Largest list ÷ mean list size, over the training rows.
    public var imbalance: Double
    public var emptyLists: Int
}

extension BenchmarkSupport {

    public static func trainKMeans(
        _ vectors: FloatMatrix, clusters: Int, iterations: Int, samplePerCluster: Int, seedingPerCluster: Int,
        spherical: Bool, seed: UInt64
    ) throws(CasebookError) -> KMeansReport {
        let parameters = KMeans.Parameters(
            clusters: clusters, iterations: iterations, sampleRowsPerCluster: samplePerCluster,
            seedingRowsPerCluster: seedingPerCluster, spherical: spherical, seed: seed)
        let started = ContinuousClock.now
        var seeded: ContinuousClock.Instant?
        let result = try vectors.values.withUnsafeBufferPointer { buffer throws(CasebookError) in
            try KMeans.train(
                buffer.baseAddress!, rowCount: vectors.rowCount, dimension: vectors.dimension, parameters: parameters
            ) { progress in
                if progress.iteration == 1 { seeded = ContinuousClock.now }
            }
        }
        let seconds = { (d: Duration) in Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
        let mean = Double(result.trainedRows) / Double(clusters)
        return KMeansReport(
            n: vectors.rowCount, dim: vectors.dimension, nlist: clusters, iterations: iterations,
            trainedRows: result.trainedRows, trainSeconds: seconds(ContinuousClock.now - started),
            seedingSeconds: seconds((seeded ?? started) - started), objective: result.objective,
            imbalance: Double(result.clusterSizes.max() ?? 0) / mean, emptyLists: result.clusterSizes.filter { $0 == 0 }.count)
    }
}

extension Casebook {
    /// Seconds to write `count` synthetic searches of `collection`, each showing `shown`
    /// precedents, through the match log's writer: the log's write throughput, apart from any
    /// search.
    public func matchLogWriteSeconds(collection name: String, count: Int, shown: Int) throws -> Double {
        let collection = try collection(name)
        let ids = (0..<shown).map { PrecedentID("p\($0)") }
        let scores = (0..<shown).map { 1 - Float($0) / Float(max(1, shown)) }
        let entries = (0..<count).map { i in
            LoggedSearch(
                queryId: "bench-\(i)-\(UInt64.random(in: 0...UInt64.max))", collection: collection.recordID,
                tenant: "bench", actor: "bench", decisionId: nil, filter: SearchFilter(), k: shown, nprobe: nil,
                exact: true, reranked: false, tookMs: 1, embedder: collection.embedderVersion, indexVersion: "flat",
                createdAt: Date().timeIntervalSince1970, ids: ids, scores: scores, similarities: nil)
        }
        // Through the real path: appended as searches append, written by the background flushes
        // and a final explicit one.
        let start = DispatchTime.now().uptimeNanoseconds
        for entry in entries { matchLog.append(entry) }
        try matchLog.flush()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
