import Casebook
import Hummingbird

/// `GET /v1/health`: the server answers and its database is open; where it is in the database's
/// change feed (`changePosition`, and the last failure to follow it, if the latest attempt failed),
/// the last failure to fit stale tenants (`serve --refit-stale-every`), and which shard of the
/// tenants it holds.
struct HealthController {
    let casebook: Casebook

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.get("health") { _, _ in
            struct Health: Encodable {
                let status: String
                let collections: Int
                let changePosition: Int64
                let followingError: String?
                let refittingError: String?
                let shard: String?
            }
            return try JSONResponse.make(Health(
                status: "ok", collections: casebook.collections.count, changePosition: casebook.appliedChangePosition,
                followingError: casebook.followingError?.description,
                refittingError: casebook.refittingError?.description, shard: casebook.shard?.description))
        }
        return routes
    }
}
