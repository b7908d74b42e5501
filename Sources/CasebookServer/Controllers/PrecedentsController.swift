import Casebook
import Hummingbird

/// `/v1/collections/{name}/precedents`: add a batch (all or none; JSON, or the bulk form with
/// binary vectors, ``BulkAddBody``), and get / patch / delete one precedent of a tenant (`?tenant=`). Another tenant's id is answered as unknown (404).
struct PrecedentsController {
    let casebook: Casebook
    let limit: Int

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.post("collections/:name/precedents") { request, context in
            try await add(request, collection: context.parameters.get("name") ?? "")
        }
        routes.get("collections/:name/precedents/:id") { request, context in
            let (name, id, tenant) = try Self.address(request, context)
            let precedent = try LibraryCall.inTask { [casebook] () throws(CasebookError) in
                try casebook.collection(name).get(tenant: tenant, id: id)
            }
            return try JSONResponse.make(precedent)
        }
        routes.patch("collections/:name/precedents/:id") { request, context in
            try await patch(request, context)
        }
        routes.delete("collections/:name/precedents/:id") { request, context in
            let (name, id, tenant) = try Self.address(request, context)
            try await LibraryCall.onWriteQueue { [casebook] () throws(CasebookError) in
                try casebook.collection(name).delete(tenant: tenant, id: id)
            }
            return Response(status: .noContent)
        }
        return routes
    }

    /// Collection, precedent id and the `tenant` query parameter.
    static func address(_ request: Request, _ context: BasicRequestContext) throws(APIError)
        -> (String, PrecedentID, TenantID)
    {
        guard let tenant = request.uri.queryParameters.get("tenant"), !tenant.isEmpty else {
            throw APIError.missingTenant(in: "the query parameter")
        }
        return (context.parameters.get("name") ?? "", PrecedentID(context.parameters.get("id") ?? ""), TenantID(tenant))
    }

    /// Every item is parsed first and all items' field errors are reported together; then the
    /// collection adds the batch in one transaction, or refuses it naming the first bad item.
    private func add(_ request: Request, collection name: String) async throws -> Response {
        var request = request
        let body: AddPrecedentsBody
        var vectors: [[Float]]? = nil
        if request.headers[.contentType]?.lowercased().hasPrefix(BulkAddBody.contentType) == true {
            (body, vectors) = try await BulkAddBody.decode(&request, limit: limit)
        } else {
            body = try await RequestBody.decode(AddPrecedentsBody.self, &request, limit: limit)
        }
        let tenant = body.tenant, items = body.precedents
        var precedents: [Precedent] = []
        var problems: [APIError.Item] = []
        for (index, item) in items.enumerated() {
            var fields = item.objectValue ?? [:]
            let id = fields["id"].flatMap { if case .string(let s) = $0 { s } else { nil } }
            if let own = fields["tenant"], own != .string(tenant.rawValue), own != .null {
                problems.append(.init(index: index, id: id, code: "tenant_mismatch",
                                      message: "precedent names another tenant than the request"))
                continue
            }
            fields["tenant"] = .string(tenant.rawValue)
            do throws(Precedent.FieldError) {
                var precedent = try Precedent(json: item.objectValue == nil ? item : .object(fields))
                if let vectors { precedent.vector = vectors[index] }
                precedents.append(precedent)
            } catch {
                problems.append(.init(index: index, id: id, code: "invalid_field", message: error.description))
            }
        }
        guard problems.isEmpty else {
            // Items that could not be read are a malformed body (400); items that read well but
            // name another tenant than the request are a conflict of values (422).
            let unreadable = problems.contains { $0.code != "tenant_mismatch" }
            throw APIError(unreadable ? .badRequest : .unprocessableContent, "invalid_precedents",
                           "\(problems.count) precedent(s) refused; nothing was added", items: problems)
        }
        let space = body.spaceId
        let ids = try await LibraryCall.onWriteQueue { [casebook, precedents] () throws(CasebookError) in
            try casebook.collection(name).add(precedents, space: space)
        }
        struct Added: Encodable {
            let added: Int
            let ids: [PrecedentID]
        }
        return try JSONResponse.make(Added(added: ids.count, ids: ids), status: .created)
    }

    static let patchFields = Set(PrecedentField.changeable.map(\.rawValue))

    /// Changes the fields the body names (null clears an optional one) and keeps the rest.
    private func patch(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        var request = request
        let (name, id, tenant) = try Self.address(request, context)
        // Only changeable fields; their values are checked by the same reader as an added
        // precedent's.
        let changed = try await RequestBody.decode([String: JSONValue].self, &request, limit: limit)
        if let unknown = changed.keys.sorted().first(where: { !Self.patchFields.contains($0) }) {
            throw APIError(.badRequest, "unknown_field", "unknown field \"\(unknown)\"")
        }
        var fields = changed
        fields["tenant"] = .string(tenant.rawValue)
        let changes: Precedent
        do throws(Precedent.FieldError) {
            changes = try Precedent(json: .object(fields))
        } catch {
            throw APIError(.badRequest, "invalid_field", error.description)
        }
        let present = Set(changed.keys.compactMap(PrecedentField.init(rawValue:)))
        let updated = try await LibraryCall.onWriteQueue { [casebook] () throws(CasebookError) -> Precedent in
            let collection = try casebook.collection(name)
            let precedent = try collection.get(tenant: tenant, id: id).changing(present, from: changes)
            try collection.update(precedent)
            return try collection.get(tenant: tenant, id: id)
        }
        return try JSONResponse.make(updated)
    }
}
