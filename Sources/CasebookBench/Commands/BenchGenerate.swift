import ArgumentParser
import Casebook
import Foundation

/// Writes a benchmark dataset: base and query vectors with exact ground truth, and for the
/// multi-tenant workload each row's tenant and category with tenant-scoped truth.
struct BenchGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write base.fvecs, queries.fvecs and truth.ivecs (exact neighbours) to a directory.",
        discussion: """
            Vectors are unit length. --kind clustered draws a Gaussian mixture (queries from the \
            same centres), --kind sphere draws uniformly on the sphere. With --tenants T, row i \
            belongs to tenant t with probability proportional to 1/(t+1) (Zipf-like sizes) and to \
            one of --categories categories uniformly; labels.ivecs and query_labels.ivecs hold \
            (tenant, category) per row, truth.ivecs is the exact top-k within the query's \
            tenant and truth_filtered.ivecs within its tenant and category.
            """)

    enum Kind: String, ExpressibleByArgument { case clustered, sphere }

    @Option var kind: Kind = .clustered
    @Option(help: "Base vectors.") var n = 100_000
    @Option var dim = 384
    @Option(help: "Gaussian centres (clustered only).") var clusters = 256
    @Option(help: "Query vectors.") var queries = 1_000
    @Option(help: "Neighbours per query in the truth files.") var k = 100
    @Option(help: "cosine, ip or l2 (the truth's metric).") var metric = "ip"
    @Option var seed: UInt64 = 1
    @Option(help: "Tenants (0: one shared collection, no labels).") var tenants = 0
    @Option(help: "Categories per tenant workload (100 gives a filter of about 1% selectivity).") var categories = 100
    @Option(help: "Directory to write (created if needed).") var out: String

    func validate() throws {
        guard n > 0, dim > 0, queries > 0, k > 0, clusters > 0, tenants >= 0, categories > 0 else {
            throw ValidationError("--n, --dim, --queries, --k, --clusters and --categories must be positive")
        }
        guard Metric(name: metric) != nil else { throw ValidationError("unknown metric \"\(metric)\"") }
    }

    func run() throws {
        let metric = Metric(name: metric)!
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        BenchData.log("generating \(n) x \(dim) \(kind.rawValue) base vectors and \(queries) queries")
        let (base, queryVectors) = vectors()
        try VectorFile.write(base, to: path("base.fvecs"))
        try VectorFile.write(queryVectors, to: path("queries.fvecs"))
        if tenants == 0 {
            BenchData.log("exact top-\(k) of \(queries) queries (\(metric.rawValue))")
            try VectorFile.write(ExactNeighbors.compute(base: base, queries: queryVectors, k: k, metric: metric), to: path("truth.ivecs"))
        } else {
            let labels = TenantLabels.draw(rows: n, tenants: tenants, categories: categories, seed: seed &+ 100)
            let queryLabels = TenantLabels.draw(rows: queries, tenants: tenants, categories: categories, seed: seed &+ 200)
            try VectorFile.write(labels.matrix, to: path("labels.ivecs"))
            try VectorFile.write(queryLabels.matrix, to: path("query_labels.ivecs"))
            BenchData.log("exact tenant-scoped top-\(k) of \(queries) queries over \(tenants) tenants")
            try VectorFile.write(TenantLabels.truth(
                base: base, queries: queryVectors, labels: labels, queryLabels: queryLabels, k: k, metric: metric,
                byCategory: false), to: path("truth.ivecs"))
            try VectorFile.write(TenantLabels.truth(
                base: base, queries: queryVectors, labels: labels, queryLabels: queryLabels, k: k, metric: metric,
                byCategory: true), to: path("truth_filtered.ivecs"))
        }
        BenchData.log("wrote \(out)")
    }

    private func vectors() -> (FloatMatrix, FloatMatrix) {
        switch kind {
        case .clustered:
            return (
                SyntheticVectors.clustered(count: n, dimension: dim, clusters: clusters, centreSeed: seed, seed: seed &+ 1),
                SyntheticVectors.clustered(count: queries, dimension: dim, clusters: clusters, centreSeed: seed, seed: seed &+ 2))
        case .sphere:
            return (
                SyntheticVectors.sphere(count: n, dimension: dim, seed: seed &+ 1),
                SyntheticVectors.sphere(count: queries, dimension: dim, seed: seed &+ 2))
        }
    }

    private func path(_ name: String) -> String { (out as NSString).appendingPathComponent(name) }
}
