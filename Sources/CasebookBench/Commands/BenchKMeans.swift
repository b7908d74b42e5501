import ArgumentParser
import Casebook
import CommandLineSupport
import Foundation

/// Training time and quality of the IVF coarse quantizer's k-means on a vector file, for choosing
/// the training defaults beside FAISS's `Kmeans` (benchmarks/peers/kmeans_faiss.py).
struct BenchKMeans: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kmeans",
        abstract: "Train k-means on a vector file: seconds, objective per iteration, list balance.")

    @Option(help: "Vectors (.fvecs, .bvecs or float32 .npy).") var base: String
    @Option(help: "Clusters.") var nlist = 1024
    @Option(help: "Lloyd iterations.") var iterations = 10
    @Option(help: "Training rows per cluster (a seeded sample).") var samplePerCluster = 256
    @Option(help: "k-means++ seeding rows per cluster.") var seedingPerCluster = 8
    @Option(help: "cosine or ip (spherical) or l2.") var metric = "ip"
    @Option var seed: UInt64 = 1
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        guard let metric = Metric(name: metric) else { throw ValidationError("unknown metric") }
        let vectors = try VectorFile.readFloats(base)
        let report = try BenchmarkSupport.trainKMeans(
            vectors, clusters: nlist, iterations: iterations, samplePerCluster: samplePerCluster,
            seedingPerCluster: seedingPerCluster, spherical: metric != .l2, seed: seed)
        if json {
            try JSONOutput.print(report)
        } else {
            print(String(format: "%d x %d, nlist %d: trained in %.2f s (seeding %.2f s) on %d rows; objective %.4f -> %.4f; largest list %.1fx the mean",
                         vectors.rowCount, vectors.dimension, nlist, report.trainSeconds, report.seedingSeconds, report.trainedRows,
                         report.objective.first ?? .nan, report.objective.last ?? .nan, report.imbalance))
        }
    }
}
