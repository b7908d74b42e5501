import Casebook
import CoreMetrics
import Metrics
import Prometheus
import Synchronization

/// What `GET /metrics` reports, in one registry per server: request counts by route, method and
/// status; search latency by collection; store errors; and, read when scraped, the match log's
/// queue and the indexes' sizes and drift. Every metric goes through swift-metrics' types with
/// this server's `PrometheusMetricsFactory`, not the process-wide `MetricsSystem` (which can be
/// bootstrapped once per process): each server, and each test server in one test process,
/// counts its own requests.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    /// Metrics already made, by their labels: a request uses one it finds here rather than asking
    /// the registry (a lock and the labels hashed as strings) for it again.
    private let requestCounters = MadeMetrics<RequestKey, CoreMetrics.Counter>()
    private let searchTimers = MadeMetrics<SearchKey, CoreMetrics.Timer>()

    struct RequestKey: Hashable {
        let route: String
        let method: String
        let status: Int
    }

    struct SearchKey: Hashable {
        let collection: String
        let kind: SearchKind
    }

    enum SearchKind: String { case search, batch, suggest }

    static let searchDuration = "casebook_search_duration_seconds"

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        // Searches take from tens of microseconds (a small tenant) to seconds (a large batch).
        factory.durationHistogramBuckets[Self.searchDuration] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2_500),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .microseconds(2_500_000), .seconds(5),
        ]
        self.factory = factory
    }

    /// One answered request. `route` is the matched route's pattern (`/v1/collections/{name}`),
    /// never the asked path, so the series stay as few as the routes.
    func countRequest(route: String, method: String, status: Int) {
        requestCounters.get(RequestKey(route: route, method: method, status: status)) {
            CoreMetrics.Counter(
                label: "casebook_http_requests_total",
                dimensions: [("route", route), ("method", method), ("status", String(status))], factory: factory)
        }.increment()
    }

    /// The library's own time for an answered search of an existing collection.
    func recordSearch(collection: String, kind: SearchKind, duration: Duration) {
        searchTimers.get(SearchKey(collection: collection, kind: kind)) {
            CoreMetrics.Timer(
                label: Self.searchDuration, dimensions: [("collection", collection), ("kind", kind.rawValue)],
                factory: factory)
        }.record(duration: duration)
    }

    /// A request the database refused or could not take (the API's error code: internal,
    /// read_only, storage_full, storage_unavailable).
    func countStoreError(code: String) {
        CoreMetrics.Counter(label: "casebook_store_errors_total", dimensions: [("code", code)], factory: factory).increment()
    }

    /// The Prometheus text exposition, with the gauges read from `casebook` now.
    func exposition(of casebook: Casebook) -> [UInt8] {
        func gauge(_ name: String, _ dimensions: [(String, String)], _ value: Double) {
            CoreMetrics.Gauge(label: name, dimensions: dimensions, factory: factory).record(value)
        }
        let log = casebook.matchLogStatus
        gauge("casebook_match_log_pending_entries", [], Double(log.pending))
        gauge("casebook_match_log_dropped_entries", [], Double(log.dropped))
        for collection in casebook.collections {
            let name = [("collection", collection.name)]
            let info = collection.indexInfo
            gauge("casebook_index_rows", name, Double(info.rows))
            // Drift: rows filed into lists since the IVF index was trained, and how uneven the
            // lists have grown (largest ÷ mean); a flat index does not drift.
            gauge("casebook_index_added_since_training", name, Double(info.addedSinceTraining ?? 0))
            gauge("casebook_index_list_imbalance", name, info.listImbalance ?? 1)
        }
        return registry.emitToBuffer()
    }
}

/// Metrics made once per key and kept.
private final class MadeMetrics<Key: Hashable & Sendable, Metric: Sendable>: Sendable {
    private let made = Mutex<[Key: Metric]>([:])

    func get(_ key: Key, orMake make: () -> Metric) -> Metric {
        made.withLock { made in
            if let metric = made[key] { return metric }
            let metric = make()
            made[key] = metric
            return metric
        }
    }
}
