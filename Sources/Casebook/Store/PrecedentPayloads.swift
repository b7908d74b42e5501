import Foundation

/// The stored fields of precedents (all but the vector), by store key, kept in memory by a store
/// whose database is across a network: search answers are read here instead of waiting on a
/// round trip, and keep coming while the database is unreachable. Rows absent here are read
/// from the database.
final class PrecedentPayloads: Sendable {
    struct Payload: Sendable {
        var tenant: TenantID
        var id: PrecedentID
        /// The values of ``PrecedentField/texts``, in that order.
        var texts: [String?]
        /// `context` as stored: JSON text.
        var context: String
        var wasSuccessful: Bool?
        var createdAt: Double
        var tags: [String]

        init(_ item: StoredPrecedent) {
            tenant = item.precedent.tenant
            id = item.id
            texts = PrecedentField.texts.map { item.precedent[text: $0] }
            context = item.contextJSON
            wasSuccessful = item.precedent.wasSuccessful
            createdAt = item.createdAt
            tags = item.precedent.tags
        }

        init(
            tenant: TenantID, id: PrecedentID, texts: [String?], context: String, wasSuccessful: Bool?,
            createdAt: Double, tags: [String]
        ) {
            self.tenant = tenant
            self.id = id
            self.texts = texts
            self.context = context
            self.wasSuccessful = wasSuccessful
            self.createdAt = createdAt
            self.tags = tags
        }

        var precedent: Precedent {
            var precedent = Precedent(tenant: tenant)
            precedent.id = id
            for (offset, field) in PrecedentField.texts.enumerated() { precedent[text: field] = texts[offset] }
            precedent.context = (try? JSONParser.parse(context))?.objectValue ?? [:]
            precedent.wasSuccessful = wasSuccessful
            precedent.createdAt = Date(timeIntervalSince1970: createdAt)
            precedent.tags = tags
            return precedent
        }
    }

    private let table = ReadWriteLocked<[Int64: Payload]>([:])

    func put(_ payloads: some Sequence<(Int64, Payload)>) {
        table.write { table in
            for (key, payload) in payloads { table[key] = payload }
        }
    }

    func remove(_ keys: some Sequence<Int64>) {
        table.write { table in
            for key in keys { table[key] = nil }
        }
    }

    /// The tenant's precedents among `keys`, and the keys not held here (another tenant's key is
    /// neither: it is simply not answered).
    func lookup(_ keys: [Int64], tenant: TenantID) -> (found: [Int64: Precedent], missing: [Int64]) {
        let held: [(Int64, Payload?)] = table.read { table in keys.map { ($0, table[$0]) } }
        var found: [Int64: Precedent] = [:]
        var missing: [Int64] = []
        for (key, payload) in held {
            guard let payload else {
                missing.append(key)
                continue
            }
            if payload.tenant == tenant { found[key] = payload.precedent }
        }
        return (found, missing)
    }
}
