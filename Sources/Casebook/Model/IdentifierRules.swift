/// The rules every identifier obeys, wherever it arrives (precedents, searches, uses, outcomes):
/// tenants, precedent ids, and the names a caller chooses (queryId, eventId, actor, decisionId).
enum IdentifierRules {
    static func checkTenant(_ tenant: TenantID) throws(CasebookError) {
        guard !tenant.rawValue.isEmpty else { throw .missingTenant }
        guard tenant.rawValue.utf8.count <= Limits.maxTenantBytes else {
            throw .invalidIdentifier("tenant is longer than \(Limits.maxTenantBytes) bytes")
        }
        guard !hasControlCharacter(tenant.rawValue) else { throw .invalidIdentifier("tenant contains a control character") }
    }

    static func checkID(_ id: PrecedentID) throws(CasebookError) {
        guard !id.rawValue.isEmpty else { throw .invalidIdentifier("id is empty") }
        guard id.rawValue.utf8.count <= Limits.maxIDBytes else {
            throw .invalidIdentifier("id is longer than \(Limits.maxIDBytes) bytes")
        }
        guard !hasControlCharacter(id.rawValue) else { throw .invalidIdentifier("id contains a control character") }
    }

    /// A caller's name for something (queryId, eventId, actor, decisionId): bounded, non-empty.
    static func checkName(_ name: String, _ value: String) throws(CasebookError) {
        guard !value.isEmpty, value.utf8.count <= Limits.maxNameBytes else {
            throw .invalidField("\(name) must be 1 to \(Limits.maxNameBytes) bytes")
        }
        guard !hasControlCharacter(value) else {
            throw .invalidField("\(name) contains a control character")
        }
    }

    /// The optional actor and decision id a search, a suggestion or a use carries.
    static func checkActor(_ actor: String?, decisionId: String?) throws(CasebookError) {
        if let actor { try checkName("actor", actor) }
        if let decisionId { try checkName("decisionId", decisionId) }
    }

    /// Identifiers hold no control characters: they are compared, logged and printed, and a NUL
    /// would be cut by the database layer (see ``PrecedentValidation``).
    static func hasControlCharacter(_ text: String) -> Bool {
        text.utf8.contains { $0 < 0x20 || $0 == 0x7F }
    }
}

extension TenantID {
    /// Checks the rules every tenant obeys (non-empty, at most ``Limits/maxTenantBytes``, no
    /// control characters), for callers that fix a tenant ahead of any request (an MCP session).
    public func check() throws(CasebookError) {
        try IdentifierRules.checkTenant(self)
    }
}
