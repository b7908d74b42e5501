import Casebook
import Foundation
import HTTPTypes
import Hummingbird

/// `/v1/collections/{name}/search` (one query, JSON), `/search/binary` (one raw little-endian
/// float32 vector, the options in the query string), `/search/batch` (many vectors, one filter) and `/suggest`
/// (advice from the closest precedents with a known outcome).
struct SearchController {
    let casebook: Casebook
    let limit: Int
    let metrics: ServerMetrics

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.post("collections/:name/search") { request, context in
            let started = ContinuousClock.now
            var request = request
            if Self.isBinary(request) {
                throw APIError(.unsupportedMediaType, "unsupported_media_type",
                               "a float32 vector body goes to /v1/collections/{name}/search/binary; this route reads JSON")
            }
            // A JSON search names its options in its body: a query string would be a second,
            // ambiguous place for them, refused as an unknown member is.
            if let first = request.uri.queryParameters.first {
                throw APIError.malformed(
                    "unknown query parameter \"\(first.key)\": a JSON search names its options in the body")
            }
            let search = try await RequestBody.decode(SearchRequest.self, &request, limit: limit)
            return try answer(search, collection: context.parameters.get("name") ?? "", started: started)
        }
        routes.post("collections/:name/search/binary") { request, context in
            let started = ContinuousClock.now
            var request = request
            guard Self.isBinary(request) else {
                throw APIError(.unsupportedMediaType, "unsupported_media_type",
                               "this route reads the vector as application/octet-stream (little-endian float32)")
            }
            let search = try await Self.binary(&request, limit: limit)
            return try answer(search, collection: context.parameters.get("name") ?? "", started: started)
        }
        routes.post("collections/:name/search/batch") { request, context in
            let name = context.parameters.get("name") ?? ""
            var request = request
            let batch = try await RequestBody.decode(BatchSearchRequest.self, &request, limit: limit)
            let started = ContinuousClock.now
            let responses = try LibraryCall.inTask { [casebook] () throws(CasebookError) in
                try casebook.collection(name).search(batch: batch)
            }
            metrics.recordSearch(collection: name, kind: .batch, duration: ContinuousClock.now - started)
            return JSONResponse.make(json: SearchResponse.jsonBytes(batch: responses))
        }
        routes.post("collections/:name/suggest") { request, context in
            let name = context.parameters.get("name") ?? ""
            var request = request
            let suggest = try await RequestBody.decode(SuggestRequest.self, &request, limit: limit)
            let started = ContinuousClock.now
            let suggestion = try LibraryCall.inTask { [casebook] () throws(CasebookError) in
                try casebook.collection(name).suggest(suggest)
            }
            metrics.recordSearch(collection: name, kind: .suggest, duration: ContinuousClock.now - started)
            return try JSONResponse.make(suggestion)
        }
        return routes
    }

    static let serverTimingField = HTTPField.Name("Server-Timing")!

    static func isBinary(_ request: Request) -> Bool {
        request.headers[.contentType]?.lowercased().hasPrefix("application/octet-stream") == true
    }

    /// Runs one search and answers it, with the server's own time for the request (body read,
    /// search, encoding) in the standard Server-Timing header, so a client can tell its
    /// transport's share from the server's.
    private func answer(_ search: SearchRequest, collection name: String, started: ContinuousClock.Instant) throws -> Response {
        let searchStarted = ContinuousClock.now
        let response = try LibraryCall.inTask { [casebook] () throws(CasebookError) in
            try casebook.collection(name).search(search)
        }
        metrics.recordSearch(collection: name, kind: .search, duration: ContinuousClock.now - searchStarted)
        var reply = JSONResponse.make(json: response.jsonBytes)
        reply.headers[Self.serverTimingField] = Self.handlerDuration(ContinuousClock.now - started)
        return reply
    }

    /// `handler;dur=` and milliseconds with three decimals, written with integers (`String(format:)`
    /// goes through Foundation's formatter, a few microseconds per request).
    static func handlerDuration(_ elapsed: Duration) -> String {
        let micros = max(0, elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000)
        let fraction = String(micros % 1000)
        return "handler;dur=\(micros / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }

    /// A raw vector: the body is little-endian float32 values; `tenant`, `k`, `nprobe`, `exact`,
    /// `includePrecedents`, `actor`, `decisionId`, `log` and `spaceId` come from the query string.
    static func binary(_ request: inout Request, limit: Int) async throws(APIError) -> SearchRequest {
        let parameters = request.uri.queryParameters
        // Refused before the body is read: a request without a tenant gets that error, not a 413.
        guard let tenant = parameters.get("tenant"), !tenant.isEmpty else { throw APIError.missingTenant(in: "the query parameter") }
        let buffer = try await RequestBody.bytes(&request, limit: limit)
        guard buffer.readableBytes % 4 == 0, buffer.readableBytes > 0 else {
            throw APIError(.unprocessableContent, "invalid_vector", "a binary vector must be a non-empty multiple of 4 bytes (float32)")
        }
        var vector = [Float](repeating: 0, count: buffer.readableBytes / 4)
        buffer.readableBytesView.withUnsafeBytes { raw in
            for i in vector.indices {
                vector[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
        }
        func int(_ key: String) throws(APIError) -> Int? {
            guard let text = parameters.get(key) else { return nil }
            guard let value = Int(text) else { throw RequestBody.type(key, "an integer") }
            return value
        }
        func bool(_ key: String) throws(APIError) -> Bool? {
            guard let text = parameters.get(key) else { return nil }
            guard text == "true" || text == "false" else { throw RequestBody.type(key, "true or false") }
            return text == "true"
        }
        return SearchRequest(
            tenant: TenantID(tenant), k: try int("k") ?? 10, vector: vector,
            includePrecedents: try bool("includePrecedents") ?? true, nprobe: try int("nprobe"),
            exact: try bool("exact") ?? false, actor: parameters.get("actor"), decisionId: parameters.get("decisionId"),
            log: try bool("log") ?? true, spaceId: parameters.get("spaceId"))
    }
}
