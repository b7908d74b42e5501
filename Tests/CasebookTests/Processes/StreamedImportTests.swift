import Foundation
import Testing

@testable import Casebook

/// `casebook add` streaming a file in batches, run as a user runs it: killed midway it leaves whole
/// batches of the file's first lines; `--resume` adds exactly the rest; a bad line stops it with
/// everything before that line committed; `--atomic` is all or nothing.
@Suite(.serialized) struct StreamedImportTests {
    static let dimension = 8

    /// Rows `r00001`… over three tenants, vectors of multiples of 1/64 (exact in float32, so the
    /// stored bits can be compared with the file's).
    static func rows(_ count: Int, seed: UInt64) -> [(id: String, tenant: String, vector: [Float])] {
        var random = SeededRandom(seed: seed)
        return (1...count).map { row in
            let vector = (0..<dimension).map { _ in Float(Int(random.next() % 129) - 64) / 64 }
            return (String(format: "r%05d", row), "t\(row % 3)", vector)
        }
    }

    static func line(_ row: (id: String, tenant: String, vector: [Float])) -> String {
        let vector = row.vector.map { "\($0)" }.joined(separator: ",")
        return "{\"id\":\"\(row.id)\",\"tenant\":\"\(row.tenant)\",\"vector\":[\(vector)]}"
    }

    static func makeCollection(_ database: TemporaryDatabase) throws {
        let created = try CasebookProcess.run([
            "init", "--collection", "c", "--embedder", "external", "--dim", "\(dimension)", "--metric", "ip",
            "--db", database.path,
        ])
        #expect(created.status == 0, "\(created.stderr)")
    }

    /// The stored ids, in the file's order.
    static func storedIDs(_ database: TemporaryDatabase) throws -> [String] {
        try StoredFile(path: database.path, collection: "c").rows.map(\.id.rawValue).sorted()
    }

    @Test func killedImportLeavesWholeBatchesAndResumeAddsExactlyTheRest() throws {
        let database = TemporaryDatabase()
        try Self.makeCollection(database)
        let rows = Self.rows(3_000, seed: 77)
        let file = database.directory.appendingPathComponent("import.jsonl")
        try rows.map(Self.line).joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        let arguments = ["add", "--collection", "c", "--db", database.path, "--batch-size", "200", "--progress-lines", file.path]

        // Killed after 2, then (resuming) after 3 more committed batches: the next batch's
        // transaction is under way when the kill lands.
        for (round, (extra, lines)) in [([String](), 2), (["--resume"], 3)].enumerated() {
            let (process, stderr) = try CasebookProcess.killed(arguments + extra, afterErrorLines: lines)
            #expect(process.terminationReason == .uncaughtSignal, "round \(round) finished before the kill: \(stderr)")
            #expect(stderr.allSatisfy { $0.hasPrefix("in through line ") }, "\(stderr)")
            let stored = try Self.storedIDs(database)
            #expect(stored.count % 200 == 0 && stored.count >= 200 * (round == 0 ? 2 : 5),
                    "round \(round): \(stored.count) rows, not whole batches")
            #expect(stored == rows.prefix(stored.count).map(\.id), "round \(round): not the file's first lines")
        }

        let finished = try CasebookProcess.run(arguments + ["--resume"])
        #expect(finished.status == 0, "\(finished.stderr)")
        #expect(finished.stdout.contains("skipped "), "\(finished.stdout)")
        let stored = try StoredFile(path: database.path, collection: "c")
        #expect(stored.integrity == "ok")
        #expect(stored.rows.map(\.id.rawValue).sorted() == rows.map(\.id))
        let byID = Dictionary(uniqueKeysWithValues: stored.rows.map { ($0.id.rawValue, $0) })
        for row in rows {
            #expect(byID[row.id]?.vector.map(\.bitPattern) == row.vector.map(\.bitPattern), "\(row.id)")
            #expect(byID[row.id]?.tenant.rawValue == row.tenant)
        }
        try stored.expectIndexMatchesStoredVectors(
            path: database.path, collection: "c", metric: .innerProduct, dimension: Self.dimension, seed: 3)

        // A second resume finds everything stored and adds nothing.
        let again = try CasebookProcess.run(arguments + ["--resume"])
        #expect(again.status == 0 && again.stdout.contains("added 0 precedents") && again.stdout.contains("skipped 3000"),
                "\(again.stdout) \(again.stderr)")
    }

    @Test func aBadLineStopsWithEverythingBeforeItCommittedAndResumeFinishes() throws {
        let database = TemporaryDatabase()
        try Self.makeCollection(database)
        let rows = Self.rows(1_000, seed: 78)
        var lines = rows.map(Self.line)
        let file = database.directory.appendingPathComponent("import.jsonl")
        let arguments = ["add", "--collection", "c", "--db", database.path, "--batch-size", "100", file.path]

        // A line that is not JSON (found while parsing), then one the collection refuses (found
        // when its batch is written): each stops the import at that line.
        lines[449] = "{\"id\": \"r00450\", \"tenant\": "
        lines[729] = "{\"id\":\"r00730\",\"tenant\":\"t1\",\"vector\":[1,2,3]}"
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        let first = try CasebookProcess.run(arguments)
        #expect(first.status == 1)
        #expect(first.stderr.contains("line 450: "), "\(first.stderr)")
        #expect(first.stderr.contains("Lines 1-449 are in the collection (449 precedents added by this run)"), "\(first.stderr)")
        #expect(first.stderr.contains("--resume"), "\(first.stderr)")
        #expect(try Self.storedIDs(database) == rows.prefix(449).map(\.id))

        lines[449] = Self.line(rows[449])
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        let second = try CasebookProcess.run(arguments + ["--resume"])
        #expect(second.status == 1)
        #expect(second.stderr.contains("line 730: "), "\(second.stderr)")
        #expect(second.stderr.contains("dimension"), "\(second.stderr)")
        #expect(second.stderr.contains("Lines 1-729 are in the collection (280 precedents added by this run)"), "\(second.stderr)")
        #expect(try Self.storedIDs(database) == rows.prefix(729).map(\.id))

        lines[729] = Self.line(rows[729])
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        let third = try CasebookProcess.run(arguments + ["--resume"])
        #expect(third.status == 0, "\(third.stderr)")
        #expect(third.stdout.contains("added 271 precedents") && third.stdout.contains("skipped 729"), "\(third.stdout)")
        #expect(try Self.storedIDs(database) == rows.map(\.id))
    }

    @Test func atomicAddsAllOrNothing() throws {
        let database = TemporaryDatabase()
        try Self.makeCollection(database)
        let rows = Self.rows(500, seed: 79)
        var lines = rows.map(Self.line)
        let file = database.directory.appendingPathComponent("import.jsonl")
        lines[399] = "not json"
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        let refused = try CasebookProcess.run(["add", "--collection", "c", "--db", database.path, "--atomic", file.path])
        #expect(refused.status == 1 && refused.stderr.contains("line 400: ") && refused.stderr.contains("nothing was added"),
                "\(refused.stderr)")
        #expect(try Self.storedIDs(database).isEmpty)

        lines[399] = Self.line(rows[399])
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        let added = try CasebookProcess.run(["add", "--collection", "c", "--db", database.path, "--atomic", file.path])
        #expect(added.status == 0, "\(added.stderr)")
        #expect(try Self.storedIDs(database) == rows.map(\.id))
    }

    @Test func standardInputStreamsAndBadOptionsAreRefused() throws {
        let database = TemporaryDatabase()
        try Self.makeCollection(database)
        let rows = Self.rows(250, seed: 80)
        let text = rows.map(Self.line).joined(separator: "\n") + "\n"
        let added = try CasebookProcess.run(
            ["add", "--collection", "c", "--db", database.path, "--batch-size", "100", "-"], stdin: text)
        #expect(added.status == 0 && added.stdout.contains("added 250 precedents") && added.stdout.contains("3 batches"),
                "\(added.stdout) \(added.stderr)")
        #expect(try Self.storedIDs(database) == rows.map(\.id))

        // Without ids there is nothing to resume by.
        let anonymous = "{\"tenant\":\"t0\",\"vector\":[1,0,0,0,0,0,0,0]}\n"
        let resumed = try CasebookProcess.run(["add", "--collection", "c", "--db", database.path, "--resume", "-"], stdin: anonymous)
        #expect(resumed.status == 1 && resumed.stderr.contains("--resume needs an id"), "\(resumed.stderr)")
        for size in ["0", "100001", "x"] {
            let bad = try CasebookProcess.run(["add", "--collection", "c", "--db", database.path, "--batch-size", size, "-"], stdin: text)
            #expect(bad.status != 0 && bad.stderr.contains("batch-size"), "\(size): \(bad.stderr)")
        }
        let empty = try CasebookProcess.run(["add", "--collection", "c", "--db", database.path, "-"], stdin: "\n\n")
        #expect(empty.status == 1 && empty.stderr.contains("no precedents"), "\(empty.stderr)")
        #expect(try Self.storedIDs(database).count == 250)
    }
}
