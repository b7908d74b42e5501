import Casebook
import Foundation
import HTTPTypes
import Hummingbird

/// `/v1/collections/{name}/search` (one query: JSON, or a raw little-endian float32 vector with
/// the options in the query string) and `/search/batch` (many vectors, one filter).
struct SearchController {
    let casebook: Casebook
    let limit: Int

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.post("/v1/collections/:name/search") { request, context in
            let started = ContinuousClock.now
            let name = context.parameters.get("name") ?? ""
            let search: SearchRequest
            var request = request
            if request.headers[.contentType]?.hasPrefix("application/octet-stream") == true {
                search = try await Self.binary(&request, limit: limit)
            } else {
                search = try Self.single(try await JSONBody(&request, limit: limit, allowed: Self.singleFields))
            }
            let response = try Blocking.run { [casebook] () throws(CasebookError) in
                try casebook.collection(name).search(search)
            }
            var reply = JSONResponse.make(json: response.jsonBytes)
            // The server's own time for the request (body read, search, encoding), in the standard
            // Server-Timing header, so a client can tell its transport's share from the server's.
            reply.headers[Self.serverTimingField] = Self.handlerDuration(ContinuousClock.now - started)
            return reply
        }
        router.post("/v1/collections/:name/search/batch") { request, context in
            let name = context.parameters.get("name") ?? ""
            var request = request
            let batch = try Self.batch(try await JSONBody(&request, limit: limit, allowed: Self.batchFields))
            let responses = try Blocking.run { [casebook] () throws(CasebookError) in
                try casebook.collection(name).search(batch: batch)
            }
            return JSONResponse.make(json: SearchResponse.jsonBytes(batch: responses))
        }
    }

    static let serverTimingField = HTTPField.Name("Server-Timing")!

    /// `handler;dur=` and milliseconds with three decimals, written with integers (`String(format:)`
    /// goes through Foundation's formatter, a few microseconds per request).
    static func handlerDuration(_ elapsed: Duration) -> String {
        let micros = max(0, elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000)
        let fraction = String(micros % 1000)
        return "handler;dur=\(micros / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }

    static let singleFields: Set<String> = [
        "tenant", "k", "vector", "text", "context", "filter", "nprobe", "exact", "explain", "actor", "decisionId",
        "rerank", "includePrecedents", "log",
    ]
    static let batchFields: Set<String> = [
        "tenant", "k", "vectors", "filter", "nprobe", "exact", "actor", "decisionId", "includePrecedents", "log",
    ]

    static func single(_ body: JSONBody) throws(APIError) -> SearchRequest {
        SearchRequest(
            tenant: try body.tenant(), k: try body.int("k") ?? 10, vector: try body.floats("vector"),
            text: try body.string("text"), context: try body.object("context"), filter: try filter(body),
            includePrecedents: try body.bool("includePrecedents") ?? true, explain: try body.bool("explain") ?? false,
            nprobe: try body.int("nprobe"), exact: try body.bool("exact") ?? false, actor: try body.string("actor"),
            decisionId: try body.string("decisionId"), log: try body.bool("log") ?? true, rerank: try rerank(body))
    }

    static func batch(_ body: JSONBody) throws(APIError) -> BatchSearchRequest {
        guard case .array(let items)? = body.value("vectors") else {
            throw JSONBody.type("vectors", "an array of vectors")
        }
        var vectors: [[Float]] = []
        vectors.reserveCapacity(items.count)
        for item in items { vectors.append(try JSONBody.floats(item, "vectors")) }
        return BatchSearchRequest(
            tenant: try body.tenant(), k: try body.int("k") ?? 10, vectors: vectors, filter: try filter(body),
            includePrecedents: try body.bool("includePrecedents") ?? true, nprobe: try body.int("nprobe"),
            exact: try body.bool("exact") ?? false, actor: try body.string("actor"),
            decisionId: try body.string("decisionId"), log: try body.bool("log") ?? true)
    }

    /// `rerank`: true (default weights) or `{"successWeight", "usefulnessWeight", "candidates"}`.
    static func rerank(_ body: JSONBody) throws(APIError) -> RerankOptions? {
        switch body.value("rerank") {
        case nil, .bool(false)?: return nil
        case .bool(true)?: return RerankOptions()
        case .object(let fields)?:
            let options = try JSONBody(fields: fields, allowed: ["successWeight", "usefulnessWeight", "candidates"], in: "rerank")
            var rerank = RerankOptions()
            if case .number(let w)? = options.value("successWeight") { rerank.successWeight = w }
            if case .number(let w)? = options.value("usefulnessWeight") { rerank.usefulnessWeight = w }
            rerank.candidates = try options.int("candidates")
            return rerank
        default: throw JSONBody.type("rerank", "true, false or an object")
        }
    }

    static func filter(_ body: JSONBody) throws(APIError) -> SearchFilter {
        guard let fields = try body.object("filter") else { return SearchFilter() }
        let filter = try JSONBody(
            fields: fields, allowed: Set(PrecedentField.filterableTexts.map(\.rawValue) + ["tags", "wasSuccessful", "since", "until", "excludeIds"]),
            in: "filter")
        func strings(_ key: String) throws(APIError) -> [String] {
            guard let value = filter.value(key) else { return [] }
            guard case .array(let items) = value else { throw JSONBody.type("filter.\(key)", "an array of strings") }
            var out: [String] = []
            for item in items {
                guard case .string(let text) = item else { throw JSONBody.type("filter.\(key)", "an array of strings") }
                out.append(text)
            }
            return out
        }
        func time(_ key: String) throws(APIError) -> Date? { try JSONBody.date(try filter.string(key), "filter.\(key)") }
        var result = SearchFilter(
            tags: try strings("tags"), wasSuccessful: try filter.bool("wasSuccessful"), since: try time("since"),
            until: try time("until"), excludeIds: try strings("excludeIds").map(PrecedentID.init(_:)))
        for field in PrecedentField.filterableTexts { result[text: field] = try filter.string(field.rawValue) }
        return result
    }

    /// A raw vector: the body is little-endian float32 values; `tenant`, `k`, `nprobe`, `exact`,
    /// `includePrecedents`, `actor`, `decisionId` and `log` come from the query string.
    static func binary(_ request: inout Request, limit: Int) async throws(APIError) -> SearchRequest {
        let parameters = request.uri.queryParameters
        // Refused before the body is read: a request without a tenant gets that error, not a 413.
        guard parameters.get("tenant")?.isEmpty == false else { throw APIError(.missingTenant) }
        return try binary(parameters: parameters, body: try await JSONBody.bytes(&request, limit: limit))
    }

    /// The same from a query string and a body already read.
    static func binary(parameters: Parameters, body buffer: ByteBuffer) throws(APIError) -> SearchRequest {
        guard let tenant = parameters.get("tenant"), !tenant.isEmpty else { throw APIError(.missingTenant) }
        guard buffer.readableBytes % 4 == 0, buffer.readableBytes > 0 else {
            throw APIError.malformed("an octet-stream vector must be a non-empty multiple of 4 bytes (float32)")
        }
        var vector = [Float](repeating: 0, count: buffer.readableBytes / 4)
        buffer.readableBytesView.withUnsafeBytes { raw in
            for i in vector.indices {
                vector[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
        }
        func int(_ key: String) throws(APIError) -> Int? {
            guard let text = parameters.get(key) else { return nil }
            guard let value = Int(text) else { throw JSONBody.type(key, "an integer") }
            return value
        }
        func bool(_ key: String) throws(APIError) -> Bool? {
            guard let text = parameters.get(key) else { return nil }
            guard text == "true" || text == "false" else { throw JSONBody.type(key, "true or false") }
            return text == "true"
        }
        return SearchRequest(
            tenant: TenantID(tenant), k: try int("k") ?? 10, vector: vector,
            includePrecedents: try bool("includePrecedents") ?? true, nprobe: try int("nprobe"),
            exact: try bool("exact") ?? false, actor: parameters.get("actor"), decisionId: parameters.get("decisionId"),
            log: try bool("log") ?? true)
    }
}
