import Casebook
import Hummingbird
import NIOCore

/// `GET /metrics`: the server's metrics in the Prometheus text format (``ServerMetrics``), for a
/// Prometheus server or any agent that scrapes it. Outside `/v1`, where scrapers look.
struct MetricsController {
    let casebook: Casebook
    let metrics: ServerMetrics

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.get("metrics") { _, _ in
            let text = metrics.exposition(of: casebook)
            return Response(
                status: .ok, headers: [.contentType: Self.contentType],
                body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
        return routes
    }
}
