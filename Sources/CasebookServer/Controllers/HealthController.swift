import Casebook
import Hummingbird

/// `GET /v1/health`: the server answers and its database is open.
struct HealthController {
    let casebook: Casebook

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.get("health") { _, _ in
            struct Health: Encodable {
                let status: String
                let collections: Int
            }
            return try JSONResponse.make(Health(status: "ok", collections: casebook.collections.count))
        }
        return routes
    }
}
