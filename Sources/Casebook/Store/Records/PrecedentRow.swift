import Foundation
import GRDB

/// The `precedent` table's columns, derived from ``PrecedentField``: each field's column is its
/// JSON name in snake_case (`decisionEventId` → `decision_event_id`). Tags and the vector live in
/// their own tables; `context` is stored as JSON text.
enum PrecedentRow {
    /// The optional text columns, in ``PrecedentField/texts`` order.
    static let textColumns = PrecedentField.texts.map(\.column)

    /// What ``decode(_:tags:)`` reads, in order: pk, tenant, id, the text fields, context,
    /// was_successful, created_at.
    private static let columnNames = ["pk", "tenant", "id"] + textColumns + ["context", "was_successful", "created_at"]
    static let columns = columnNames.joined(separator: ", ")

    /// Position of the first column after ``columns`` (a query may select more behind them).
    static let columnCount = columnNames.count

    static func decode(_ row: Row, tags: [String]) -> Precedent {
        var precedent = Precedent(tenant: TenantID(row[1] as String))
        precedent.id = PrecedentID(row[2] as String)
        for (offset, field) in PrecedentField.texts.enumerated() { precedent[text: field] = row[3 + offset] }
        let after = 3 + PrecedentField.texts.count
        let contextText: String = row[after]
        precedent.context = (try? JSONParser.parse(contextText))?.objectValue ?? [:]
        let successful: Int64? = row[after + 1]
        precedent.wasSuccessful = successful.map { $0 != 0 }
        let createdAt: Double = row[after + 2]
        precedent.createdAt = Date(timeIntervalSince1970: createdAt)
        precedent.tags = tags
        return precedent
    }

    /// ``decode(_:tags:)`` with its key and its time as stored.
    static func keyed(_ row: Row, key: Int64, tags: [String]) -> KeyedPrecedent {
        KeyedPrecedent(key: key, precedent: decode(row, tags: tags), createdAt: row[columnCount - 1])
    }

    /// `INSERT INTO precedent`: collection_id, tenant, id, the text fields, context,
    /// was_successful, created_at, updated_at (see ``bindInsert``).
    static let insertSQL: String = {
        let names = ["collection_id", "tenant", "id"] + textColumns + ["context", "was_successful", "created_at", "updated_at"]
        return "INSERT INTO precedent (\(names.joined(separator: ", "))) VALUES (\(databaseQuestionMarks(count: names.count)))"
    }()

    /// Binds one row of ``insertSQL``.
    static func bindInsert(_ insert: SQLiteBinding, collection: Int64, _ item: StoredPrecedent, now: Double) {
        let p = item.precedent
        insert.bind(1, collection)
        insert.bind(2, p.tenant.rawValue)
        insert.bind(3, item.id.rawValue)
        var index: Int32 = 4
        for field in PrecedentField.texts {
            insert.bind(index, p[text: field])
            index += 1
        }
        insert.bind(index, item.contextJSON)
        insert.bind(index + 1, p.wasSuccessful)
        insert.bind(index + 2, item.createdAt)
        insert.bind(index + 3, now)
    }

    /// `UPDATE precedent SET` every stored field of a row, by its pk (see ``updateArguments``).
    static let updateSQL: String = {
        let names = textColumns + ["context", "was_successful", "created_at", "updated_at"]
        return "UPDATE precedent SET \(names.map { "\($0) = ?" }.joined(separator: ", ")) WHERE pk = ?"
    }()

    static func updateArguments(_ item: StoredPrecedent, key: Int64, now: Double) -> StatementArguments {
        var arguments = StatementArguments(PrecedentField.texts.map { item.precedent[text: $0] })
        arguments += [item.contextJSON, item.precedent.wasSuccessful, item.createdAt, now, key]
        return arguments
    }
}
