import Casebook
import Hummingbird

/// `/v1/collections`: list, create (the body mirrors `casebook init`), describe.
struct CollectionsController {
    let casebook: Casebook
    let limit: Int

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.get("collections") { _, _ in
            try JSONResponse.make(["collections": casebook.collections.map { CollectionSummary($0, tenant: nil) }])
        }
        routes.post("collections") { request, _ in
            var request = request
            let options = try await RequestBody.decode(CollectionOptions.self, &request, limit: limit)
            let collection = try await LibraryCall.onWriteQueue { [casebook] () throws(CasebookError) in
                try casebook.createCollection(try options.spec())
            }
            var response = try JSONResponse.make(CollectionSummary(collection, tenant: nil), status: .created)
            // Where the new collection is read: a client (and schemathesis's stateful phase)
            // follows it to the collection's routes.
            response.headers[.location] = "/v1/collections/\(collection.spec.name)"
            return response
        }
        routes.get("collections/:name") { request, context in
            let collection = try LibraryCall.inTask { [casebook] () throws(CasebookError) in
                try casebook.collection(context.parameters.get("name") ?? "")
            }
            let tenant = request.uri.queryParameters.get("tenant").map(TenantID.init(rawValue:))
            if let tenant {
                // Optional here, but when named it obeys every tenant's rules.
                guard !tenant.rawValue.isEmpty else { throw APIError.missingTenant(in: "the query parameter") }
                try LibraryCall.inTask { [casebook] () throws(CasebookError) in
                    try tenant.check()
                    try casebook.checkHolds(tenant)
                }
            }
            return try JSONResponse.make(CollectionSummary(collection, tenant: tenant))
        }
        return routes
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
