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
        guard index == "flat" || index == "ivf" else { throw ValidationError("--index must be flat or ivf") }
        if index == "flat", nlist != nil || nprobe != nil || flatThreshold != nil || pca != nil {
            throw ValidationError("--nlist, --nprobe, --flat-threshold and --pca are for --index ivf")
        }
    }

    private var indexConfig: IndexConfig {
        guard index == "ivf" else { return .flat }
        var parameters = IVFParameters()
        parameters.nlist = nlist
        if let nprobe { parameters.nprobe = nprobe }
        if let flatThreshold { parameters.flatThreshold = flatThreshold }
        parameters.pcaDimension = pca
        return .ivf(parameters)
    }

    func run() throws {
        let hashed = embedder == HashedNGramEmbedder.version
        let dimension = dims ?? HashedNGramEmbedder.defaultDimension
        let spec = CollectionSpec(
            name: collection, dimension: dimension, metric: Metric(name: metric)!,
            embedder: hashed ? .hashedV1() : .external(spaceId: spaceId), index: indexConfig)
        try database.open().createCollection(spec)
        print("created collection \(collection) (\(embedder), dim \(dimension), \(spec.metric.rawValue), \(index) index) in \(database.db)")
    }
}
