import Foundation
import GRDB

extension SQLiteStore {
    /// Inserts a collection row; a taken name is ``CasebookError/collectionExists(_:)``.
    func createCollection(_ spec: CollectionSpec) throws(CasebookError) -> Int64 {
        try write { db in
            if try CollectionRecord.filter(CollectionRecord.Columns.name == spec.name).fetchCount(db) > 0 {
                throw CasebookError.collectionExists(spec.name)
            }
            var record = try CollectionRecord(spec: spec, createdAt: Date())
            try record.insert(db)
            try appendChange(db, collection: record.id!, kind: .collection)
            return record.id!
        }
    }

    func collections() throws(CasebookError) -> [StoredCollection] {
        let records = try read { db in try CollectionRecord.order(Column("id")).fetchAll(db) }
        return try records.map { record throws(CasebookError) in StoredCollection(id: record.id!, spec: try record.spec()) }
    }
}
