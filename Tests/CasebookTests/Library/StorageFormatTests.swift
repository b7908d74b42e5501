import Foundation
import GRDB
import Testing

@testable import Casebook

/// Docs/StorageFormat.md must describe exactly the tables and columns the code creates.
@Suite struct StorageFormatTests {
    static var documentURL: URL {
        Repository.path("Docs/StorageFormat.md")
    }

    /// `### table` headings followed by `| column | ...` rows.
    static func documentedSchema() throws -> [String: [String]] {
        try documentedSchema(String(contentsOf: documentURL, encoding: .utf8))
    }

    static func documentedSchema(_ text: String) throws -> [String: [String]] {
        var schema: [String: [String]] = [:]
        var current: String?
        for line in text.split(separator: "\n") {
            if line.hasPrefix("### ") {
                current = line.dropFirst(4).trimmingCharacters(in: CharacterSet(charactersIn: "` "))
                schema[current!] = []
            } else if line.hasPrefix("## ") {
                current = nil
            } else if let table = current, line.hasPrefix("| `") {
                let cell = line.split(separator: "|")[0].trimmingCharacters(in: CharacterSet(charactersIn: "` "))
                schema[table]!.append(cell)
            }
        }
        return schema
    }

    @Test func documentMatchesDatabase() throws {
        let database = TemporaryDatabase()
        _ = try Casebook(path: database.path)
        let queue = try DatabaseQueue(path: database.path)
        let actual: [String: [String]] = try queue.read { db in
            let tables = try String.fetchAll(
                db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%'")
            var result: [String: [String]] = [:]
            for table in tables { result[table] = try db.columns(in: table).map(\.name) }
            return result
        }
        #expect(try Self.documentedSchema() == actual)
        let pageSize = try queue.read { try Int.fetchOne($0, sql: "PRAGMA page_size") }
        #expect(pageSize == 16384)
    }

    @Test func vectorBlobIsLittleEndianFloat32() throws {
        let database = TemporaryDatabase()
        let collection = try Casebook(path: database.path).createCollection(
            CollectionSpec(name: "c", dimension: 3, metric: .innerProduct))
        try collection.add([Precedent(id: "v", tenant: "t", vector: [1, -2, 0.5])])
        let blob = try DatabaseQueue(path: database.path).read { db in
            try Data.fetchOne(db, sql: "SELECT data FROM precedent_vector")!
        }
        #expect(Array(blob) == [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x3F])
    }

    @Test func malformedStoredVectorFailsOpenWithoutChangingFile() throws {
        let database = TemporaryDatabase()
        try Casebook(path: database.path).createCollection(CollectionSpec(name: "c", dimension: 3))
            .add([Precedent(id: "v", tenant: "t", vector: [1, 2, 3])])
        let queue = try DatabaseQueue(path: database.path)
        try queue.write { try $0.execute(sql: "UPDATE precedent_vector SET data = x'0000'") }
        #expect(throws: CasebookError.self) { try Casebook(path: database.path) }
        #expect(try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM precedent") } == 1)
    }
}
