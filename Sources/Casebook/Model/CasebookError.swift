import Foundation

/// Every error the library throws. Messages name values (ids, sizes), never precedent text or
/// vectors, and never reveal that another tenant's precedent exists: its id is answered exactly
/// like an unknown id.
public enum CasebookError: Error, Sendable, Hashable {
    case invalidCollectionName(String)
    case invalidDimension(Int, max: Int)
    case collectionExists(String)
    case collectionNotFound(String)
    case unsupportedConfiguration(String)
    case dimensionMismatch(expected: Int, actual: Int)
    case nonFiniteVector(position: Int)
    case zeroVector
    case missingVector
    case missingTenant
    case invalidIdentifier(String)
    case duplicateID(PrecedentID)
    case precedentNotFound(PrecedentID)
    case invalidK(Int, max: Int)
    case batchTooLarge(Int, max: Int)
    case emptyBatch
    /// A precedent's or a query's field breaks a limit or a rule (sizes, NUL, non-finite numbers,
    /// a caller's name).
    case invalidField(String)
    /// A search, re-ranking or index parameter is out of range or does not apply.
    case invalidParameter(String)
    /// The input does not fit the collection's embedder (a vector where it computes them,
    /// nothing to embed).
    case embedding(String)
    /// An index could not be trained, or a stored one rebuilt (too few vectors, matrices that do
    /// not fit, a failed eigen-decomposition).
    case training(String)
    /// One item of a batch was refused; nothing of the batch was written.
    indirect case item(index: Int, id: PrecedentID?, problem: CasebookError)
    /// The database refused an operation (SQLite result code and a message without arguments).
    case storage(code: Int32, message: String)
    /// The database server cannot be reached (PostgreSQL down, or the connection lost): nothing
    /// was written, and the same request may succeed once it is back.
    case storageUnavailable(String)
    /// Another process is training this collection's index (one at a time per database).
    case trainingInProgress(String)
    /// Another process wrote precedents of the collection (of the tenants concerned), or trained
    /// or re-embedded it, while this re-embedding read and embedded them: nothing was switched.
    case changedDuringReembedding(String)
    /// Another process re-embedded or trained the collection after this process last read its
    /// state, and a write embedded (or filed) with the older state was refused. Writes follow the
    /// change and retry by themselves; this reaches the caller only when retrying did not help.
    case staleState(String)
    /// This node holds another shard of the tenants (`--shard`): the tenant's is `shard`.
    case wrongShard(tenant: TenantID, shard: Int, of: Int)
    /// The database file was written by an unknown, newer format.
    case unsupportedFormat(found: Int, supported: Int)
    /// No logged search has this id for the tenant (another tenant's query is answered the same).
    case queryNotFound(String)
    /// The search did not show this precedent.
    case precedentNotShown(queryId: String, id: PrecedentID)
    /// The event id was already recorded for a different use.
    case eventConflict(String)
    /// A request named the vector space of its vectors (`spaceId`), and it is not the
    /// collection's (nil: the collection names none).
    case wrongSpace(named: String, collection: String?)
}

extension CasebookError: CustomStringConvertible, LocalizedError {
    public var description: String {
        switch self {
        case .invalidCollectionName(let name):
            return "invalid collection name \"\(name)\": use 1-64 letters, digits, '-', '_' or '.'"
        case .invalidDimension(let dim, let max):
            return "invalid dimension \(dim): must be between 1 and \(max)"
        case .collectionExists(let name): return "collection \"\(name)\" already exists"
        case .collectionNotFound(let name): return "no collection named \"\(name)\""
        case .unsupportedConfiguration(let what): return "unsupported configuration: \(what)"
        case .dimensionMismatch(let expected, let actual):
            return "vector has \(actual) dimensions, the collection has \(expected)"
        case .nonFiniteVector(let position):
            return "vector has a non-finite value (NaN or infinity) at position \(position)"
        case .zeroVector: return "vector is all zeros and cannot be normalised for cosine"
        case .missingVector: return "precedent has no vector and the collection embeds none"
        case .missingTenant: return "tenant is missing or empty"
        case .invalidIdentifier(let why): return "invalid identifier: \(why)"
        case .duplicateID(let id): return "id \"\(id)\" is already used"
        case .precedentNotFound(let id): return "no precedent with id \"\(id)\""
        case .invalidK(let k, let max): return "k must be between 1 and \(max), got \(k)"
        case .batchTooLarge(let count, let max):
            return "batch of \(count) items is larger than the limit of \(max)"
        case .emptyBatch: return "batch is empty"
        case .invalidField(let why), .invalidParameter(let why), .embedding(let why), .training(let why): return why
        case .item(let index, let id, let problem):
            let name = id.map { " (id \"\($0)\")" } ?? ""
            return "item \(index + 1)\(name): \(problem)"
        case .storage(let code, let message): return "database error \(code): \(message)"
        case .storageUnavailable(let message): return "the database is unavailable: \(message)"
        case .wrongSpace(let named, let collection):
            guard let collection else {
                return "the request names space \"\(named)\" but the collection names no space, so its vectors cannot be checked"
            }
            return "the request names space \"\(named)\" but the collection's vectors are in space \"\(collection)\""
        case .trainingInProgress(let name):
            return "collection \"\(name)\" is being trained by another node; try again when it is done"
        case .changedDuringReembedding(let name):
            return "another process changed collection \"\(name)\" during the re-embedding; nothing was switched: run it again"
        case .staleState(let name):
            return "collection \"\(name)\" was re-embedded or trained by another process while this write was prepared; nothing was written: try again"
        case .wrongShard(let tenant, let shard, let count):
            return "tenant \"\(tenant)\" belongs to shard \(shard) of \(count); this node holds another"
        case .unsupportedFormat(let found, let supported):
            return "database format \(found) is newer than this build supports (\(supported))"
        case .queryNotFound(let id): return "no logged search with queryId \"\(id)\""
        case .precedentNotShown(let query, let id):
            return "search \"\(query)\" did not show precedent \"\(id)\""
        case .eventConflict(let id): return "eventId \"\(id)\" was already recorded for a different use"
        }
    }

    public var errorDescription: String? { description }
}
