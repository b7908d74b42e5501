import Foundation
import GRDB

extension Store {
    /// Inserts a collection row; a taken name is ``CasebookError/collectionExists(_:)``.
    func createCollection(_ spec: CollectionSpec) throws(CasebookError) -> CollectionRecord {
        try write { db in
            if try CollectionRecord.filter(CollectionRecord.Columns.name == spec.name).fetchCount(db) > 0 {
                throw CasebookError.collectionExists(spec.name)
            }
            var record = try CollectionRecord(spec: spec, createdAt: Date())
            try record.insert(db)
            return record
        }
    }

    func collectionRecords() throws(CasebookError) -> [CollectionRecord] {
        try read { db in try CollectionRecord.order(Column("id")).fetchAll(db) }
    }
}
