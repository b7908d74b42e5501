import Foundation
import GRDB

/// A precedent ready to store: id and time resolved, vector final for the collection's metric.
struct StoredPrecedent: Sendable {
    var precedent: Precedent
    var vector: [Float]
    /// `context` as stored: JSON text with sorted keys (measured against the size limit once).
    var contextJSON: String

    var id: PrecedentID { precedent.id! }
    var createdAt: Double { precedent.createdAt!.timeIntervalSince1970 }
}

/// Reading rows of `precedent` (and its tags) back into the model.
enum PrecedentRow {
    /// The columns ``decode(_:tags:)`` expects, in order.
    static let columns =
        "pk, tenant, id, category, decision_event_id, context, text, outcome, was_successful, created_at"

    static func decode(_ row: Row, tags: [String]) -> Precedent {
        let contextText: String = row[5]
        let context = (try? JSONParser.parse(contextText))?.objectValue ?? [:]
        let successful: Int64? = row[8]
        let createdAt: Double = row[9]
        return Precedent(
            id: PrecedentID(row[2] as String), tenant: TenantID(row[1] as String),
            category: row[3], decisionEventId: row[4], context: context, text: row[6],
            outcome: row[7], wasSuccessful: successful.map { $0 != 0 }, tags: tags,
            createdAt: Date(timeIntervalSince1970: createdAt), vector: nil)
    }
}
