import Casebook
import Hummingbird

/// `/v1/collections/{name}/reembed`: every precedent of a hashed collection (or some tenants of a
/// hashed-v2 one) embedded anew and switched to at once, as `casebook reembed` does. Writes to the
/// collection go on while it reads and embeds (they are taken in before the switch, which alone
/// holds them); searches answer from the old vectors until the switch.
struct ReembedController {
    let casebook: Casebook
    let limit: Int

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.post("collections/:name/reembed") { request, context in
            let name = context.parameters.get("name") ?? ""
            var request = request
            let body = try await RequestBody.decode(ReembedBody.self, &request, limit: limit, orWhenEmpty: ReembedBody())
            if body.stale == true, body.tenants != nil {
                throw APIError(CasebookError.invalidParameter("\"stale\" and \"tenants\" are alternatives"))
            }
            let report = try await LibraryCall.onWriteQueue { [casebook] () throws(CasebookError) in
                let collection = try casebook.collection(name)
                var only: Set<TenantID>?
                if let tenants = body.tenants {
                    only = Set(tenants.map { TenantID($0) })
                    for tenant in only! { try casebook.checkHolds(tenant) }
                } else if body.stale == true {
                    only = Set(collection.staleTenants())
                }
                return try collection.reembed(to: body.embedder, tenants: only)
            }
            return try JSONResponse.make(report)
        }
        return routes
    }
}
