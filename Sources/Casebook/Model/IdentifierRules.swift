/// The rules every identifier obeys, wherever it arrives (precedents, searches, uses, outcomes):
/// tenants, precedent ids, and the names a caller chooses (queryId, eventId, actor, decisionId).
enum IdentifierRules {
    static func checkTenant(_ tenant: TenantID) throws(CasebookError) {
        guard !tenant.rawValue.isEmpty else { throw .missingTenant }
        guard !isLonger(tenant.rawValue, than: Limits.maxTenantCharacters) else {
            throw .invalidIdentifier("tenant is longer than \(Limits.maxTenantCharacters) characters")
        }
        guard !hasControlCharacter(tenant.rawValue) else { throw .invalidIdentifier("tenant contains a control character") }
    }

    static func checkID(_ id: PrecedentID) throws(CasebookError) {
        guard !id.rawValue.isEmpty else { throw .invalidIdentifier("id is empty") }
        guard !isLonger(id.rawValue, than: Limits.maxIDCharacters) else {
            throw .invalidIdentifier("id is longer than \(Limits.maxIDCharacters) characters")
        }
        guard !hasControlCharacter(id.rawValue) else { throw .invalidIdentifier("id contains a control character") }
    }

    /// A caller's name for something (queryId, eventId, actor, decisionId): bounded, non-empty.
    static func checkName(_ name: String, _ value: String) throws(CasebookError) {
        guard !value.isEmpty, !isLonger(value, than: Limits.maxNameCharacters) else {
            throw .invalidField("\(name) must be 1 to \(Limits.maxNameCharacters) characters")
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

    /// Lengths are counted in Unicode scalars, as JSON Schema's `maxLength` counts a string, so
    /// that a client checking a request against openapi.yaml and the server agree on every
    /// string. A string is never longer in scalars than in UTF-8 bytes: the byte count (free)
    /// settles the common case.
    static func isLonger(_ text: String, than limit: Int) -> Bool {
        text.utf8.count > limit && text.unicodeScalars.count > limit
    }

    /// Identifiers hold no control characters: they are compared, logged and printed, and a NUL
    /// would be cut by the database layer (see ``PrecedentValidation``).
    static func hasControlCharacter(_ text: String) -> Bool {
        text.utf8.contains { $0 < 0x20 || $0 == 0x7F }
    }
}

extension TenantID {
    /// Checks the rules every tenant obeys (non-empty, at most ``Limits/maxTenantCharacters``, no
    /// control characters), for callers that fix a tenant ahead of any request (an MCP session).
    public func check() throws(CasebookError) {
        try IdentifierRules.checkTenant(self)
    }
}
