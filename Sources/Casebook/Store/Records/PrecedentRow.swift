import Foundation
import GRDB

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
