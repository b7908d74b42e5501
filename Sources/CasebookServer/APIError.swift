import Casebook
import Hummingbird

/// An error answered as `{"error": {"code", "message"}}` with its HTTP status. Library errors map
/// by kind (``init(_:)``); a 500 never carries internals.
struct APIError: Error, HTTPResponseError {
    let status: HTTPResponse.Status
    let code: String
    let message: String
    /// Per-item errors of a batch, when there are several.
    var items: [Item] = []
    /// `wrong_shard`: the shard that holds the request's tenant.
    var shard: Int?
    /// `method_not_allowed`: the methods the path answers, sent as `Allow`.
    var allow: [HTTPRequest.Method] = []

    struct Item: Encodable {
        let index: Int
        let id: String?
        let code: String
        let message: String
    }

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String, items: [Item] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.items = items
    }

    static func malformed(_ message: String) -> APIError { APIError(.badRequest, "malformed_request", message) }

    /// `missing_tenant`, worded for where the request should have named it.
    static func missingTenant(in place: String) -> APIError {
        APIError(.badRequest, "missing_tenant", "\(place) \"tenant\" is missing or empty")
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try JSONResponse.make(
            ErrorBody(error: .init(code: code, message: message, items: items.isEmpty ? nil : items, shard: shard)),
            status: status)
        if !allow.isEmpty { response.headers[.allow] = allow.map(\.rawValue).joined(separator: ", ") }
        return response
    }
}

/// `{"error": {"code", "message", "items"?}}`.
private struct ErrorBody: Encodable {
    struct Detail: Encodable {
        let code: String
        let message: String
        let items: [APIError.Item]?
        let shard: Int?
    }
    let error: Detail
}

extension APIError {
    /// The status and code of a library error. Another tenant's id is answered exactly as an
    /// unknown one, because the library already words them the same.
    init(_ error: CasebookError) {
        switch error {
        case .collectionNotFound: self.init(.notFound, "collection_not_found", error.description)
        case .precedentNotFound: self.init(.notFound, "precedent_not_found", error.description)
        case .queryNotFound: self.init(.notFound, "query_not_found", error.description)
        case .collectionExists: self.init(.conflict, "collection_exists", error.description)
        case .duplicateID: self.init(.conflict, "duplicate_id", error.description)
        case .eventConflict: self.init(.conflict, "event_conflict", error.description)
        case .trainingInProgress: self.init(.conflict, "training_in_progress", error.description)
        case .changedDuringReembedding: self.init(.conflict, "changed_during_reembedding", error.description)
        case .staleState: self.init(.conflict, "stale_state", error.description)
        case .wrongSpace: self.init(.unprocessableContent, "wrong_space", error.description)
        case .missingTenant: self.init(.badRequest, "missing_tenant", error.description)
        case .invalidK: self.init(.unprocessableContent, "invalid_k", error.description)
        case .dimensionMismatch: self.init(.unprocessableContent, "dimension_mismatch", error.description)
        case .nonFiniteVector, .zeroVector, .missingVector:
            self.init(.unprocessableContent, "invalid_vector", error.description)
        case .precedentNotShown: self.init(.unprocessableContent, "precedent_not_shown", error.description)
        case .batchTooLarge, .emptyBatch: self.init(.unprocessableContent, "invalid_batch", error.description)
        case .invalidCollectionName, .invalidDimension, .unsupportedConfiguration, .invalidIdentifier,
            .invalidField, .invalidParameter, .embedding, .training:
            self.init(.unprocessableContent, "invalid_value", error.description)
        case .item(let index, let id, let problem):
            let inner = APIError(problem)
            self.init(
                inner.status, inner.code, error.description,
                items: [Item(index: index, id: id?.rawValue, code: inner.code, message: problem.description)])
            shard = inner.shard
        // A full disk and a read-only file are the operator's to fix and say so; nothing was
        // written. Other database failures stay a bare 500.
        case .storage(let code, _) where code & 0xFF == 13:  // SQLITE_FULL
            self.init(.init(code: 507, reasonPhrase: "Insufficient Storage"), "storage_full", "the database or its disk is full; nothing was written")
        case .storage(let code, _) where code & 0xFF == 8:  // SQLITE_READONLY
            self.init(.serviceUnavailable, "read_only", "the database is read-only; nothing was written")
        case .wrongShard(_, let shard, _):
            self.init(.init(code: 421, reasonPhrase: "Misdirected Request"), "wrong_shard", error.description)
            self.shard = shard
        case .storageUnavailable:
            self.init(.serviceUnavailable, "storage_unavailable", "the database is unavailable; nothing was written, try again")
        case .storage, .unsupportedFormat:
            self.init(.internalServerError, "internal", "the database could not complete the request")
        }
    }
}
