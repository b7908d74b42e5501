import Foundation
import Testing

@testable import Casebook

/// Docs/PostgresFormat.md must describe exactly the tables and columns of the schema `casebook`
/// that a node creates, and the statements of a migration must run one by one.
@Suite struct PostgresFormatTests {
    @Test func documentMatchesSchema() throws {
        let database = TemporaryDatabase(.postgres)
        _ = try Casebook(path: database.path)
        let rows = try TestPostgres.query(
            database.path,
            """
            SELECT table_name || '.' || column_name FROM information_schema.columns
            WHERE table_schema = 'casebook' ORDER BY table_name, ordinal_position
            """)
        var actual: [String: [String]] = [:]
        for row in rows.compactMap({ $0 }) {
            let parts = row.split(separator: ".", maxSplits: 1).map(String.init)
            actual[parts[0], default: []].append(parts[1])
        }
        let text = try String(contentsOf: Repository.path("Docs/PostgresFormat.md"), encoding: .utf8)
        #expect(try StorageFormatTests.documentedSchema(text) == actual)
        // A migrated database reports every migration applied.
        #expect(try TestPostgres.query(database.path, "SELECT name FROM casebook.migration ORDER BY name")
            == PostgresSchema.migrations.map(\.name))
    }

    /// Every text field of a precedent has its column (a field added without a migration would
    /// fail at the first insert).
    @Test func everyPrecedentFieldHasItsColumn() throws {
        let database = TemporaryDatabase(.postgres)
        _ = try Casebook(path: database.path)
        let columns = Set(try TestPostgres.query(
            database.path,
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'casebook' AND table_name = 'precedent'"
        ).compactMap { $0 })
        for field in PrecedentField.texts { #expect(columns.contains(field.column), "\(field.column)") }
    }

    @Test func urlsAreParsedAndBadOnesRefusedWithoutThePassword() throws {
        let full = try PostgresAddress(url: "postgresql://app:s%40cret@db.internal:6432/orders?sslmode=require")
        #expect(full == PostgresAddress(
            host: "db.internal", port: 6432, user: "app", password: "s@cret", database: "orders", tls: .require))
        #expect(full.redacted == "postgresql://app@db.internal:6432/orders")
        let short = try PostgresAddress(url: "postgres://casebook@[::1]/cb")
        #expect(short.host == "::1" && short.port == 5432 && short.password == nil && short.tls == .disable)
        for bad in [
            "postgresql://db/cb", "postgresql://u:secretpw@db", "postgresql://u:secretpw@db/", "postgresql://u@db/cb?sslmode=verify-full",
            "postgresql://u@db/cb?application_name=x", "postgresql://u@db:99999/cb", "postgresql://u:secretpw@/cb",
        ] {
            do {
                _ = try PostgresAddress(url: bad)
                Issue.record("accepted \(bad)")
            } catch {
                #expect(!error.description.contains("secretpw"), "\(error)")
            }
        }
        // Unreachable: a clear error, not a hang or a crash.
        #expect(throws: CasebookError.self) { try Casebook(path: "postgresql://nobody@127.0.0.1:1/none") }
    }
}
