import Hummingbird

/// Counts every answered request by its route's pattern, method and status. It runs outside
/// ``ErrorMiddleware``, so an error is counted with the status it was answered with.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            metrics.countRequest(route: Self.route(context), method: request.method.rawValue, status: response.status.code)
            return response
        } catch {
            metrics.countRequest(route: Self.route(context), method: request.method.rawValue, status: 500)
            throw error
        }
    }

    /// The matched route (`/v1/collections/{name}/search`), or `unmatched` for a path no route
    /// serves: an asked path would make a series per id.
    static func route(_ context: Context) -> String {
        context.endpointPath ?? "unmatched"
    }
}
