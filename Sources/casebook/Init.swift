import ArgumentParser
import Casebook

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a collection.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Collection name (letters, digits, '-', '_', '.').")
    var collection: String

    @Option(help: "Vector dimension.")
    var dim: Int

    @Option(help: "cosine, ip or l2.")
    var metric: String = "cosine"

    @Option(help: "For external vectors: the model space they come from, e.g. minilm-l6-384.")
    var spaceId: String?

    func validate() throws {
        guard Metric(name: metric) != nil else { throw ValidationError("--metric must be cosine, ip or l2") }
    }

    func run() throws {
        let spec = CollectionSpec(
            name: collection, dimension: dim, metric: Metric(name: metric)!,
            embedder: .external(spaceId: spaceId))
        try database.open().createCollection(spec)
        print("created collection \(collection) (dim \(dim), \(spec.metric.rawValue), flat index) in \(database.db)")
    }
}
