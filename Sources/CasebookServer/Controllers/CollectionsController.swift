import Casebook
import Hummingbird

/// `/v1/collections`: list, create (the body mirrors `casebook init`), describe.
struct CollectionsController {
    let casebook: Casebook
    let limit: Int

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/v1/collections") { _, _ in
            try JSONResponse.make(["collections": casebook.collections.map { CollectionSummary($0, tenant: nil) }])
        }
        router.post("/v1/collections") { request, _ in try await create(request) }
        router.get("/v1/collections/:name") { request, context in
            let collection = try Blocking.run { [casebook] () throws(CasebookError) in
                try casebook.collection(context.parameters.get("name") ?? "")
            }
            let tenant = request.uri.queryParameters.get("tenant").map(TenantID.init(rawValue:))
            return try JSONResponse.make(CollectionSummary(collection, tenant: tenant))
        }
    }

    static let createFields: Set<String> = [
        "name", "dim", "metric", "embedder", "spaceId", "index", "nlist", "nprobe", "flatThreshold", "pca",
    ]

    private func create(_ request: Request) async throws -> Response {
        var request = request
        let body = try await JSONBody(&request, limit: limit, allowed: Self.createFields)
        let name = try body.require("name")
        let embedder = try body.string("embedder") ?? HashedNGramEmbedder.version
        guard embedder == HashedNGramEmbedder.version || embedder == "external" else {
            throw APIError(.unprocessableContent, "invalid_value", "embedder must be \(HashedNGramEmbedder.version) or external")
        }
        guard let metric = Metric(name: try body.string("metric") ?? "cosine") else {
            throw APIError(.unprocessableContent, "invalid_value", "metric must be cosine, ip or l2")
        }
        let dimension = try body.int("dim") ?? (embedder == "external" ? nil : HashedNGramEmbedder.defaultDimension)
        guard let dimension else {
            throw APIError(.unprocessableContent, "invalid_value", "external vectors need \"dim\" (the model's dimension)")
        }
        let kind = try body.string("index") ?? "flat"
        var index = IndexConfig.flat
        switch kind {
        case "flat":
            for key in ["nlist", "nprobe", "flatThreshold", "pca"] where body.value(key) != nil {
                throw APIError(.unprocessableContent, "invalid_value", "\"\(key)\" is for an ivf index")
            }
        case "ivf":
            var parameters = IVFParameters()
            parameters.nlist = try body.int("nlist")
            if let nprobe = try body.int("nprobe") { parameters.nprobe = nprobe }
            if let threshold = try body.int("flatThreshold") { parameters.flatThreshold = threshold }
            parameters.pcaDimension = try body.int("pca")
            index = .ivf(parameters)
        default:
            throw APIError(.unprocessableContent, "invalid_value", "index must be flat or ivf")
        }
        let spec = CollectionSpec(
            name: name, dimension: dimension, metric: metric,
            embedder: embedder == "external" ? .external(spaceId: try body.string("spaceId")) : .hashedV1(), index: index)
        let collection = try await Blocking.write { [casebook] () throws(CasebookError) in try casebook.createCollection(spec) }
        return try JSONResponse.make(CollectionSummary(collection, tenant: nil), status: .created)
    }
}

/// What the API says of a collection. Counts are given for one named tenant only.
struct CollectionSummary: Encodable {
    let name: String
    let dim: Int
    let metric: String
    let embedder: String
    let spaceId: String?
    let index: String
    /// The named tenant's precedents (nil without `?tenant=`).
    let count: Int?

    init(_ collection: PrecedentCollection, tenant: TenantID?) {
        let spec = collection.spec
        name = spec.name
        dim = spec.dimension
        metric = spec.metric.rawValue
        embedder = spec.embedder.kind
        spaceId = spec.embedder.spaceId
        index = spec.index.kind
        count = tenant.map { collection.count(tenant: $0) }
    }
}
