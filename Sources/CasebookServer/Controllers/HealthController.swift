import Casebook
import Hummingbird

/// `GET /v1/health`: the server answers and its database is open.
struct HealthController {
    let casebook: Casebook

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/v1/health") { _, _ in
            struct Health: Encodable {
                let status: String
                let collections: Int
            }
            return try JSONResponse.make(Health(status: "ok", collections: casebook.collections.count))
        }
    }
}
