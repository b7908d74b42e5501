import Foundation

/// Checks and completes precedents before anything is written: ids generated, times filled,
/// tags made unique and sorted, vectors embedded. Runs outside every lock.
struct PrecedentValidation {
    let embedder: any Embedder

    /// Prepares a whole batch; the first bad item aborts it with an error naming the item.
    /// Returns the items and, where the embedder weighs queries by them, each tenant's feature
    /// frequencies of the batch.
    func prepare(_ batch: [Precedent], now: Date = Date()) throws(CasebookError)
        -> (items: [StoredPrecedent], frequencies: [TenantID: FeatureFrequencies])
    {
        guard !batch.isEmpty else { throw .emptyBatch }
        guard batch.count <= Limits.maxBatch else { throw .batchTooLarge(batch.count, max: Limits.maxBatch) }
        var seen: [TenantID: Set<PrecedentID>] = [:]
        var checked: [(precedent: Precedent, contextJSON: String)] = []
        checked.reserveCapacity(batch.count)
        for (index, precedent) in batch.enumerated() {
            do throws(CasebookError) {
                let item = try completeFields(precedent, now: now)
                guard seen[item.precedent.tenant, default: []].insert(item.precedent.id!).inserted else {
                    throw CasebookError.duplicateID(item.precedent.id!)
                }
                checked.append(item)
            } catch {
                throw .item(index: index, id: precedent.id, problem: error)
            }
        }
        // One call for the whole batch: a featurizer reuses its buffers and may use every core.
        var precedents = checked.map(\.precedent)
        let contexts = checked.map(\.contextJSON)
        checked = []
        let (vectors, frequencies) = try embedder.documentVectorsAndFrequencies(for: precedents)
        // Moved out one by one (from the end), not copied: a copy retains every field.
        var items: [StoredPrecedent] = []
        items.reserveCapacity(precedents.count)
        while var p = precedents.popLast() {
            p.vector = nil
            let index = precedents.count
            items.append(StoredPrecedent(precedent: p, vector: vectors[index], contextJSON: contexts[index]))
        }
        items.reverse()
        return (items, frequencies)
    }

    /// Prepares one precedent. `vector` supplies the stored vector when the precedent has none
    /// and the embedder cannot compute one (updates that keep the vector).
    func prepare(_ precedent: Precedent, now: Date, vector fallback: [Float]?) throws(CasebookError)
        -> StoredPrecedent
    {
        var (p, contextJSON) = try completeFields(precedent, now: now)
        let vector: [Float]
        if p.vector == nil, !embedder.computesVectors, let fallback {
            vector = fallback
        } else {
            vector = try embedder.documentVector(for: p)
        }
        p.vector = nil
        return StoredPrecedent(precedent: p, vector: vector, contextJSON: contextJSON)
    }

    /// Checks identifiers and limits and fills in what an add completes: an id, sorted unique
    /// tags, the time. The vector (if any) is left for the embedder to check.
    private func completeFields(_ precedent: Precedent, now: Date) throws(CasebookError)
        -> (precedent: Precedent, contextJSON: String)
    {
        var p = precedent
        try IdentifierRules.checkTenant(p.tenant)
        if let id = p.id { try IdentifierRules.checkID(id) } else { p.id = PrecedentID(UUID().uuidString.lowercased()) }
        let contextJSON = try Self.checkFields(p)
        // Most rows come sorted and unique (or without tags): only the others pay for a set.
        if !zip(p.tags, p.tags.dropFirst()).allSatisfy({ $0 < $1 }) { p.tags = Array(Set(p.tags)).sorted() }
        if p.createdAt == nil { p.createdAt = now }
        guard p.createdAt!.timeIntervalSince1970.isFinite else { throw .invalidField("createdAt is not a valid time") }
        return (p, contextJSON)
    }

    /// The limits on text, context and tags; returns the context as stored JSON text.
    static func checkFields(_ p: Precedent) throws(CasebookError) -> String {
        if let text = p.text, IdentifierRules.isLonger(text, than: Limits.maxTextCharacters) {
            throw .invalidField("text is longer than \(Limits.maxTextCharacters) characters")
        }
        for field in PrecedentField.texts { try checkNoNUL(p[text: field], field.rawValue) }
        for tag in p.tags { try checkNoNUL(tag, "a tag") }
        // A short code that suggestions group by and filters match exactly: named like an actor.
        if let action = p.action { try IdentifierRules.checkName("action", action) }
        let context = JSONValue.object(p.context)
        guard context.depth <= Limits.maxContextDepth else {
            throw .invalidField("context nests deeper than \(Limits.maxContextDepth) levels")
        }
        guard Self.allNumbersFinite(context) else {
            throw .invalidField("context holds a non-finite number")
        }
        let contextJSON = p.context.isEmpty ? "{}" : JSONWriter.string(object: p.context)
        guard contextJSON.utf8.count <= Limits.maxContextBytes else {
            throw .invalidField("context is larger than \(Limits.maxContextBytes) bytes as JSON")
        }
        guard p.tags.count <= Limits.maxTags else {
            throw .invalidField("more than \(Limits.maxTags) tags")
        }
        return contextJSON
    }

    /// A query's text and context obey the same limits as a precedent's.
    static func checkQuery(_ query: QueryInput) throws(CasebookError) {
        _ = try checkFields(Precedent(tenant: "-", context: query.context ?? [:], text: query.text))
    }

    /// SQLite stores a NUL inside text, but GRDB binds and reads strings up to the first NUL, so
    /// "a\0b" would be written whole and read back as "a": a shorter text, or another tenant's
    /// name after a reopen. Every stored string refuses it (context is stored as escaped JSON).
    static func checkNoNUL(_ value: String?, _ name: String) throws(CasebookError) {
        guard let value, value.utf8.contains(0) else { return }
        throw .invalidField("\(name) contains a NUL character")
    }

    private static func allNumbersFinite(_ value: JSONValue) -> Bool {
        switch value {
        case .number(let number): return number.isFinite
        case .array(let items): return items.allSatisfy(allNumbersFinite)
        case .object(let members): return members.values.allSatisfy(allNumbersFinite)
        default: return true
        }
    }
}

extension Precedent {
    /// Checks text, context and tags against ``Limits`` as an add would, without writing.
    public func checkEmbeddable() throws(CasebookError) {
        _ = try PrecedentValidation.checkFields(self)
    }
}
