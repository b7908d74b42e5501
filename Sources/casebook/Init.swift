import ArgumentParser
import Casebook

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a collection.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Collection name (letters, digits, '-', '_', '.').")
    var collection: String

    @Option(help: "hashed-v1 (Casebook embeds text and context itself), hashed-v2 (the same with word unigrams and characters weighing more; numbers placed on each tenant's own distribution and context fields weighed by the outcomes they told apart, after `casebook reembed`) or external (vectors from any model).")
    var embedder: String = HashedNGramEmbedder.version

    @Option(name: [.customLong("dims"), .customLong("dim")],
            help: "Vector dimension: required for external vectors; hashed-v1 defaults to \(HashedNGramEmbedder.defaultDimension).")
    var dims: Int?

    @Option(help: "cosine, ip or l2.")
    var metric: String = "cosine"

    @Option(help: "For external vectors: the model space they come from, e.g. minilm-l6-384.")
    var spaceId: String?

    @Option(help: "flat (exact) or ivf (inverted file: searched flat until `casebook index train`).")
    var index: String = "flat"

    @Option(help: "IVF: lists (default: chosen at training as 4·√rows).")
    var nlist: Int?

    @Option(help: "IVF: lists a search probes by default.")
    var nprobe: Int?

    @Option(help: "IVF: tenants with fewer precedents are searched flat.")
    var flatThreshold: Int?

    @Option(help: "IVF: reduce vectors to this many principal components for choosing lists.")
    var pca: Int?

    @Option(help: "hashed-v1: idf (a query's rarer words and values count more; the default) or none.")
    var queryWeighting: String?

    @Option(help: "Hybrid: also hold each precedent's vector from an external model of this dimension (--space-id names it); --dims is then the featurizer's.")
    var companionDims: Int?

    private var options: CollectionOptions {
        CollectionOptions(
            name: collection, embedder: embedder, dim: dims, metric: metric, spaceId: spaceId, index: index,
            nlist: nlist, nprobe: nprobe, flatThreshold: flatThreshold, pca: pca,
            queryWeighting: queryWeighting, companionDim: companionDims)
    }

    func validate() throws {
        do {
            _ = try options.spec()
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        let spec = try options.spec()
        let casebook = try database.open(only: [])
        try casebook.createCollection(spec)
        print("created collection \(collection) (\(spec.embedder.kind), dim \(spec.dimension), \(spec.metric.rawValue), \(spec.index.kind) index) in \(casebook.path)")
    }
}
