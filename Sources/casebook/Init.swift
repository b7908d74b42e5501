import ArgumentParser
import Casebook

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a collection.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Collection name (letters, digits, '-', '_', '.').")
    var collection: String

    @Option(help: "hashed-v1 (Casebook embeds text and context itself) or external (vectors from any model).")
    var embedder: String = HashedNGramEmbedder.version

    @Option(name: [.customLong("dims"), .customLong("dim")],
            help: "Vector dimension: required for external vectors; hashed-v1 defaults to \(HashedNGramEmbedder.defaultDimension).")
    var dims: Int?

    @Option(help: "cosine, ip or l2.")
    var metric: String = "cosine"

    @Option(help: "For external vectors: the model space they come from, e.g. minilm-l6-384.")
    var spaceId: String?

    func validate() throws {
        guard Metric(name: metric) != nil else { throw ValidationError("--metric must be cosine, ip or l2") }
        switch embedder {
        case HashedNGramEmbedder.version:
            guard spaceId == nil else { throw ValidationError("--space-id is for external vectors only") }
        case "external":
            guard dims != nil else { throw ValidationError("external vectors need --dims (the model's dimension)") }
        default:
            throw ValidationError("--embedder must be \(HashedNGramEmbedder.version) or external")
        }
    }

    func run() throws {
        let hashed = embedder == HashedNGramEmbedder.version
        let dimension = dims ?? HashedNGramEmbedder.defaultDimension
        let spec = CollectionSpec(
            name: collection, dimension: dimension, metric: Metric(name: metric)!,
            embedder: hashed ? .hashedV1() : .external(spaceId: spaceId))
        try database.open().createCollection(spec)
        print("created collection \(collection) (\(embedder), dim \(dimension), \(spec.metric.rawValue), flat index) in \(database.db)")
    }
}
